package awsfile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genConfig returns a realistic config file of n profiles: a comment every
// few profiles, 3-5 keys each, some with a nested s3 block (~100 bytes a
// profile, ~3 MB at 30,000).
func genConfig(n int) string {
	var b strings.Builder
	b.WriteString("# ~/.aws/config, generated for benchmarks\n[default]\nregion = us-west-2\noutput = json\n\n")
	for i := range n {
		if i%7 == 0 {
			fmt.Fprintf(&b, "# team %d, account %012d\n", i/7, 100000000000+i)
		}
		fmt.Fprintf(&b, "[profile p%05d]\nregion = us-east-%d\n", i, i%2+1)
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "role_arn = arn:aws:iam::%012d:role/ops\nsource_profile = default\n", 100000000000+i)
		case 1:
			b.WriteString("output=json\ns3 =\n  addressing_style = path\n")
		default:
			b.WriteString("output = text\ncli_pager =\nmax_attempts = 5\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// genCredentials returns a credentials file of n profiles (~110 bytes each).
func genCredentials(n int) string {
	var b strings.Builder
	b.WriteString("# long-term keys\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\n")
	for i := range n {
		if i%10 == 0 {
			fmt.Fprintf(&b, "; batch %d\n", i/10)
		}
		fmt.Fprintf(&b, "[p%05d]\naws_access_key_id = AKIA%016d\naws_secret_access_key = %040d\n\n", i, i, i)
	}
	return b.String()
}

// assumeEdits are the edits `snowsts assume` makes to both files (see
// profile.WriteAssumed), with values that change at every call.
func assumeEdits(i int) (creds, cfg func(*Doc) error) {
	v := fmt.Sprintf("%08d", i)
	creds = func(d *Doc) error {
		for _, kv := range [][2]string{{"aws_access_key_id", "ASIA" + v}, {"aws_secret_access_key", "S" + v},
			{"aws_session_token", "T" + v}, {"x_security_token_expires", "2026-01-01T00:00:00Z" + v}} {
			if err := d.Set("snow-admin", kv[0], kv[1]); err != nil {
				return err
			}
		}
		return d.MarkManaged("snow-admin")
	}
	cfg = func(d *Doc) error {
		ps := "profile snow-admin"
		for _, kv := range [][2]string{{"region", "snow"}, {"services", "snow"}, {ManagedKey, "true"},
			{"x_snowsts_kind", "assumed"}, {"x_snowsts_source_profile", "snowballEdge"},
			{"x_snowsts_role_arn", "arn:aws:iam::123456789012:role/admin"}, {"x_snowsts_role_session_name", "s" + v},
			{"x_snowsts_duration_seconds", "3600"}} {
			if err := d.Set(ps, kv[0], kv[1]); err != nil {
				return err
			}
		}
		return d.Delete(ps, "ca_bundle")
	}
	return creds, cfg
}

func benchUpdate(b *testing.B, n int) {
	dir := b.TempDir()
	cfgPath, credsPath := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfgPath, []byte(genConfig(n)), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(credsPath, []byte(genCredentials(n)), 0o600); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		creds, cfg := assumeEdits(i)
		if r, err := Update(ctx, credsPath, creds); err != nil || !r.Changed {
			b.Fatalf("credentials: %+v %v", r, err)
		}
		if r, err := Update(ctx, cfgPath, cfg); err != nil || !r.Changed {
			b.Fatalf("config: %+v %v", r, err)
		}
	}
}

// BenchmarkUpdate10 and its siblings measure what `snowsts assume` does to
// the AWS files (one Update of each, with its edits) against files of 10,
// 1,000 and 30,000 profiles.
func BenchmarkUpdate10(b *testing.B)  { benchUpdate(b, 10) }
func BenchmarkUpdate1k(b *testing.B)  { benchUpdate(b, 1000) }
func BenchmarkUpdate30k(b *testing.B) { benchUpdate(b, 30000) }

func benchParse(b *testing.B, n int) {
	data := []byte(genConfig(n))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(data); err != nil { // not Parse: its memo would answer
			b.Fatal(err)
		}
	}
}

// BenchmarkParse10 and its siblings measure reading a file (Load without the I/O).
func BenchmarkParse10(b *testing.B)  { benchParse(b, 10) }
func BenchmarkParse30k(b *testing.B) { benchParse(b, 30000) }

func TestGeneratedFilesParse(t *testing.T) {
	for _, n := range []int{10, 1000} {
		for name, data := range map[string]string{"config": genConfig(n), "credentials": genCredentials(n)} {
			d, err := Parse([]byte(data))
			if err != nil {
				t.Fatalf("%s %d: %v", name, n, err)
			}
			if got := len(d.Sections()); got != n+1 {
				t.Errorf("%s %d: %d sections", name, n, got)
			}
		}
	}
	if got := len(genConfig(30000)); got < 2_500_000 || got > 4_000_000 {
		t.Errorf("30k config is %d bytes, want ~3 MB", got)
	}
}

// benchAssume does what one `snowsts assume` run does to the files: read both
// (twice: to check the target, and to load the device profile), then update
// both with the assume edits.
func benchAssume(b *testing.B, n int) {
	dir := b.TempDir()
	cfgPath, credsPath := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfgPath, []byte(genConfig(n)), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(credsPath, []byte(genCredentials(n)), 0o600); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for range 2 {
			for _, p := range []string{cfgPath, credsPath} {
				d, err := Load(p)
				if err != nil {
					b.Fatal(err)
				}
				d.Has("profile snow-admin")
			}
		}
		creds, cfg := assumeEdits(i)
		if r, err := Update(ctx, credsPath, creds); err != nil || !r.Changed {
			b.Fatalf("credentials: %+v %v", r, err)
		}
		if r, err := Update(ctx, cfgPath, cfg); err != nil || !r.Changed {
			b.Fatalf("config: %+v %v", r, err)
		}
	}
}

// BenchmarkAssume10 and BenchmarkAssume30k measure the reads and writes of one
// `snowsts assume` run (see benchAssume).
func BenchmarkAssume10(b *testing.B)  { benchAssume(b, 10) }
func BenchmarkAssume30k(b *testing.B) { benchAssume(b, 30000) }
