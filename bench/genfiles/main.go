// Command genfiles puts N hand-written-looking profiles in front of an AWS
// config file and an AWS credentials file, for bench/run.sh: every profile has
// 3-5 keys (some with a nested s3 block), with a comment every few profiles,
// about 100 bytes a profile in each file (about 3 MB each at 30,000). What
// the files held before (the device profile snowsts configured) stays at the
// end, byte for byte.
//
// Usage: genfiles N CONFIG CREDENTIALS
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) != 4 {
		fail("usage: genfiles N CONFIG CREDENTIALS")
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 0 {
		fail("genfiles: N must be a number >= 0")
	}
	prepend(os.Args[2], func(w *bufio.Writer) {
		fmt.Fprintf(w, "# ~/.aws/config: %d profiles written by hand\n[default]\nregion = us-west-2\noutput = json\n\n", n)
		for i := range n {
			if i%7 == 0 {
				fmt.Fprintf(w, "# team %d, account %012d\n", i/7, 100000000000+i)
			}
			fmt.Fprintf(w, "[profile p%05d]\nregion = us-east-%d\n", i, i%2+1)
			switch i % 3 {
			case 0:
				fmt.Fprintf(w, "role_arn = arn:aws:iam::%012d:role/ops\nsource_profile = default\n", 100000000000+i)
			case 1:
				fmt.Fprint(w, "output=json\ns3 =\n  addressing_style = path\n")
			default:
				fmt.Fprint(w, "output = text\ncli_pager =\nmax_attempts = 5\n")
			}
			fmt.Fprint(w, "\n")
		}
	})
	prepend(os.Args[3], func(w *bufio.Writer) {
		fmt.Fprint(w, "# long-term keys\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\n")
		for i := range n {
			if i%10 == 0 {
				fmt.Fprintf(w, "; batch %d\n", i/10)
			}
			fmt.Fprintf(w, "[p%05d]\naws_access_key_id = AKIA%016d\naws_secret_access_key = %040d\nregion = us-east-1\n\n", i, i, i)
		}
	})
}

// prepend writes gen's output followed by the file's old content to path.
func prepend(path string, gen func(*bufio.Writer)) {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		fail("genfiles: " + err.Error())
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		fail("genfiles: " + err.Error())
	}
	w := bufio.NewWriter(f)
	gen(w)
	w.Write(old)
	if err := w.Flush(); err != nil {
		fail("genfiles: " + err.Error())
	}
	if err := f.Close(); err != nil {
		fail("genfiles: " + err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(2)
}
