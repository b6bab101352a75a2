//go:build linux

package reliability

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"gopkg.in/ini.v1"
)

// iniOptions read the AWS files the way pkg/awsfile checks them with ini.v1.
var iniOptions = ini.LoadOptions{
	AllowNestedValues: true, IgnoreInlineComment: true, IgnoreContinuation: true,
	PreserveSurroundedQuote: true, InsensitiveKeys: true,
}

// foreignCreds is a hand-written credentials file: comments, odd spacing, a
// default profile, tabs, CRLF-free but quirky; every line must survive.
const foreignCreds = `# my keys; do not lose these
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key=defaultSecret/with+chars

; a semicolon comment
[work]
	aws_access_key_id	=	AKIDWORK
aws_secret_access_key = work = secret ; not a comment
region = eu-west-1 # also not a comment
`

// foreignConfig is a hand-written config file.
const foreignConfig = `[default]
region = us-east-1
output = json

# a role the user set up by hand
[profile work-admin]
role_arn = arn:aws:iam::111122223333:role/admin
source_profile = work
`

// managedKeys are what an assumed-role credentials section must hold.
var managedKeys = []string{"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "x_security_token_expires"}

// checkCredsFile parses data (a whole credentials file) with ini.v1 and checks
// that every foreign line is in it, in order, and that every managed section
// it holds is whole. It returns the managed sections it saw.
func checkCredsFile(data []byte, foreign string) (map[string]bool, error) {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("the file does not end with a newline (%d bytes)", len(data))
	}
	if err := linesInOrder(string(data), foreign); err != nil {
		return nil, err
	}
	f, err := ini.LoadSources(iniOptions, data)
	if err != nil {
		return nil, fmt.Errorf("ini.v1: %w", err)
	}
	seen := map[string]bool{}
	for _, sec := range f.Sections() {
		// The credentials file marks sections without a kind; the device
		// profile is "snow" in every test.
		if !sec.HasKey("x_snowsts_managed") || sec.Name() == "snow" {
			continue
		}
		for _, k := range managedKeys {
			if v := sec.Key(k).String(); v == "" {
				return nil, fmt.Errorf("managed section [%s] has no %s", sec.Name(), k)
			}
		}
		seen[sec.Name()] = true
	}
	return seen, nil
}

// linesInOrder checks that every non-blank line of foreign is a line of text,
// in the same order.
func linesInOrder(text, foreign string) error {
	lines := strings.Split(text, "\n")
	j := 0
	for _, want := range strings.Split(foreign, "\n") {
		if strings.TrimSpace(want) == "" {
			continue
		}
		for j < len(lines) && lines[j] != want {
			j++
		}
		if j == len(lines) {
			return fmt.Errorf("foreign line %q is lost or out of order", want)
		}
		j++
	}
	return nil
}

// loadINI parses the bytes of an AWS file with ini.v1.
func loadINI(data []byte) (*ini.File, error) { return ini.LoadSources(iniOptions, data) }

// loadShared runs the AWS SDK for Go's shared-config loader on the sandbox's files.
func loadShared(s *sandbox, profile string) (config.SharedConfig, error) {
	return config.LoadSharedConfigProfile(context.Background(), profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{s.config}
		o.CredentialsFiles = []string{s.creds}
	})
}

// sdkLoads checks that the AWS SDK for Go's shared-config loader reads the
// files and finds profile's keys.
func sdkLoads(s *sandbox, profile string) error {
	sc, err := loadShared(s, profile)
	if err != nil {
		return fmt.Errorf("SDK loader, profile %s: %w", profile, err)
	}
	if !sc.Credentials.HasKeys() {
		return fmt.Errorf("SDK loader, profile %s: no keys", profile)
	}
	return nil
}

// strayFiles lists the files in dir whose names are neither the AWS files nor
// their lock files: temp files a killed writer left behind.
func strayFiles(t testing.TB, dir string, keep ...string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, k := range keep {
		known[k] = true
	}
	var out []string
	for _, de := range des {
		if !known[de.Name()] {
			out = append(out, de.Name())
		}
	}
	return out
}
