// Command floor is the speed floor for `snowsts credential-process`: a
// minimal Go program that reads one cached session file and prints it. The
// warm credential-process does the same work plus reading the AWS files,
// computing the cache key and re-encoding the JSON; bench/run.sh compares the
// two as whole processes.
package main

import (
	"os"
)

func main() {
	if len(os.Args) != 2 {
		os.Stderr.WriteString("usage: floor CACHE-FILE\n")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		os.Stderr.WriteString("floor: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.Write(b)
}
