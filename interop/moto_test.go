//go:build unix

package interop

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// sessionName is snowsts's default session name for USER=interop.
const sessionName = "snowsts-interop"

// assumedARN is the ARN STS gives a session of role name.
func assumedARN(role string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + sessionName
}

// The device profile that configure writes is enough for the AWS CLI to reach every
// service of the device: no --endpoint-url, no AWS_ENDPOINT_URL_*, only the profile's
// services section. moto checks the signature, so the keys are used too.
func TestConfigureProfileServesTheAWSCLI(t *testing.T) {
	m := startMoto(t)
	s := newSandbox(t)
	s.configure(t, m, "snow", m.keyID, m.secret)

	cfg := string(readFile(t, s.config))
	if n := strings.Count(cfg, "endpoint_url = "+m.url+"\n"); n != 4 {
		t.Fatalf("config has %d endpoint_url lines for %s, want 4 (sts, iam, s3, ec2):\n%s", n, m.url, cfg)
	}
	if creds := string(readFile(t, s.creds)); !strings.Contains(creds, "aws_access_key_id = "+m.keyID+"\n") {
		t.Fatalf("credentials file lacks the imported key id:\n%s", creds)
	}

	t.Run("iam list-users", func(t *testing.T) {
		r := s.ok(t, "aws", "--profile", "snow", "--output", "json", "iam", "list-users")
		var got struct {
			Users []struct{ UserName, Arn string }
		}
		decodeJSON(t, "aws iam list-users", r.Stdout, &got)
		if len(got.Users) != 1 || got.Users[0].UserName != "operator" || got.Users[0].Arn != m.userARN {
			t.Errorf("list-users = %+v, want only operator (%s)", got.Users, m.userARN)
		}
	})
	t.Run("iam list-roles", func(t *testing.T) {
		r := s.ok(t, "aws", "--profile", "snow", "--output", "json", "iam", "list-roles", "--query", "Roles[].Arn")
		var got []string
		decodeJSON(t, "aws iam list-roles", r.Stdout, &got)
		slices.Sort(got)
		if want := []string{m.adminRole, m.auditorRole}; !slices.Equal(got, want) {
			t.Errorf("list-roles = %q, want %q", got, want)
		}
	})
	t.Run("sts get-caller-identity", func(t *testing.T) {
		r := s.ok(t, "aws", "--profile", "snow", "--output", "json", "sts", "get-caller-identity")
		var got struct{ Arn, Account string }
		decodeJSON(t, "aws sts get-caller-identity", r.Stdout, &got)
		if got.Arn != m.userARN || got.Account != account {
			t.Errorf("get-caller-identity = %+v, want %s", got, m.userARN)
		}
	})
	t.Run("s3 endpoint", func(t *testing.T) {
		// moto's S3 answers only a signed request (an unsigned one would reach it
		// anyway), and the user's policy allows s3:List*. moto's EC2 answers 500 for
		// region snow, so the ec2 entry is only checked in the file above.
		r := s.ok(t, "aws", "--profile", "snow", "--output", "json", "s3api", "list-buckets")
		var got struct {
			Buckets []any
			Owner   struct{ ID string }
		}
		decodeJSON(t, "aws s3api list-buckets", r.Stdout, &got)
		if got.Buckets == nil || len(got.Buckets) != 0 || got.Owner.ID == "" {
			t.Errorf("s3api list-buckets = %s, want moto's empty bucket list with an owner", r.Stdout)
		}
	})
}

// assumeOutput is snowsts assume --output json.
type assumeOutput struct {
	Profile, RoleArn, AccessKeyId, Expiration string
	AssumedRoleUser                           struct{ Arn, AssumedRoleId string }
}

// assume runs snowsts assume --output json for roleARN and checks what it reports.
func (s *sandbox) assume(t *testing.T, roleARN, role, profile string) assumeOutput {
	t.Helper()
	r := s.snowsts(t, 0, "assume", "--role-arn", roleARN, "--output", "json")
	var got assumeOutput
	decodeJSON(t, "snowsts assume --output json", r.Stdout, &got)
	if got.Profile != profile || got.RoleArn != roleARN || got.AssumedRoleUser.Arn != assumedARN(role) {
		t.Errorf("assume reported %+v, want profile %s, role %s, user %s", got, profile, roleARN, assumedARN(role))
	}
	if !strings.HasPrefix(got.AccessKeyId, "ASIA") {
		t.Errorf("assume reported key %q, want moto's temporary ASIA key", got.AccessKeyId)
	}
	exp, err := time.Parse("2006-01-02T15:04:05Z", got.Expiration)
	if err != nil {
		t.Errorf("Expiration %q is not RFC 3339 UTC without fraction: %v", got.Expiration, err)
	} else if left := time.Until(exp); left < 55*time.Minute || left > 61*time.Minute {
		t.Errorf("Expiration %s is %v away, want the default hour", got.Expiration, left)
	}
	if creds := string(readFile(t, s.creds)); !strings.Contains(creds, "["+profile+"]\naws_access_key_id = "+got.AccessKeyId+"\n") {
		t.Errorf("credentials file lacks [%s] with key %s:\n%s", profile, got.AccessKeyId, creds)
	}
	return got
}

// The profile assume writes, and the environment env prints, are what the AWS CLI and
// boto3 need to act as the assumed role on the device, with nothing else set up.
func TestAssumedSessionServesTheAWSCLIAndBoto3(t *testing.T) {
	m := startMoto(t)
	s := newSandbox(t)
	s.configure(t, m, "snow", m.keyID, m.secret)
	s.assume(t, m.adminRole, "admin", "snow-admin")

	t.Run("aws --profile snow-admin", func(t *testing.T) {
		r := s.ok(t, "aws", "--profile", "snow-admin", "--output", "json", "sts", "get-caller-identity")
		var got struct{ Arn, Account, UserId string }
		decodeJSON(t, "aws sts get-caller-identity", r.Stdout, &got)
		if got.Arn != assumedARN("admin") || got.Account != account || !strings.HasSuffix(got.UserId, ":"+sessionName) {
			t.Errorf("get-caller-identity = %+v, want %s", got, assumedARN("admin"))
		}
		// The role's own policy allows IAM reads: the IAM endpoint comes from the
		// services section the assumed profile names.
		r = s.ok(t, "aws", "--profile", "snow-admin", "--output", "text", "iam", "get-role", "--role-name", "auditor", "--query", "Role.Arn")
		if strings.TrimSpace(r.Stdout) != m.auditorRole {
			t.Errorf("iam get-role as the assumed role = %q, want %s", r.Stdout, m.auditorRole)
		}
	})

	// Plain and with the AWS files hidden, so that only the exported variables count.
	const evalScript = `set -eu
eval "$(snowsts env --shell bash)"
aws sts get-caller-identity --query Arn --output text
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws sts get-caller-identity --query Arn --output text
aws iam get-role --role-name admin --query Role.Arn --output text
python3 -c 'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])'
printf '%s\n' "$AWS_ENDPOINT_URL_STS" "$AWS_REGION"
`
	t.Run("eval snowsts env in bash", func(t *testing.T) {
		r := s.ok(t, "bash", "-c", evalScript)
		want := []string{assumedARN("admin"), assumedARN("admin"), m.adminRole, assumedARN("admin"), m.url, "snow"}
		if got := strings.Split(strings.TrimSpace(r.Stdout), "\n"); !slices.Equal(got, want) {
			t.Errorf("bash printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	// boto3 reads the same profile, services section included, and a role whose ARN
	// has a path gets the profile named after its last segment.
	const boto3Script = `
import json, sys, boto3
out = {}
for name in sys.argv[1:]:
    sess = boto3.Session(profile_name=name)
    out[name] = {"region": sess.region_name,
                 "arn": sess.client("sts").get_caller_identity()["Arn"],
                 "roles": sorted(r["Arn"] for r in sess.client("iam").list_roles()["Roles"])}
print(json.dumps(out))
`
	t.Run("boto3 Session(profile_name)", func(t *testing.T) {
		s.assume(t, m.auditorRole, "auditor", "snow-auditor")
		r := s.ok(t, "python3", "-c", boto3Script, "snow-admin", "snow-auditor")
		type seen struct {
			Region, Arn string
			Roles       []string
		}
		var got map[string]seen
		decodeJSON(t, "boto3", r.Stdout, &got)
		roles := []string{m.adminRole, m.auditorRole}
		for profile, role := range map[string]string{"snow-admin": "admin", "snow-auditor": "auditor"} {
			g := got[profile]
			if g.Region != "snow" || g.Arn != assumedARN(role) || !slices.Equal(g.Roles, roles) {
				t.Errorf("boto3 with profile %s saw %+v, want region snow, %s, roles %q", profile, g, assumedARN(role), roles)
			}
		}
	})
	t.Run("eval snowsts env then boto3", func(t *testing.T) {
		// The current session is now the last one assumed: auditor.
		r := s.ok(t, "bash", "-c", `set -eu
eval "$(snowsts env --shell bash)"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
python3 -c 'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])'
`)
		if got := strings.TrimSpace(r.Stdout); got != assumedARN("auditor") {
			t.Errorf("boto3 after eval saw %q, want %s", got, assumedARN("auditor"))
		}
	})
}

// When the device refuses or cannot be reached, assume exits with the contract's code,
// says why on stderr, prints nothing on stdout, and leaves both AWS files and the
// current session exactly as they were.
func TestAssumeFailuresLeaveFilesAlone(t *testing.T) {
	m := startMoto(t)
	s := newSandbox(t)
	s.configure(t, m, "snow", m.keyID, m.secret)
	s.assume(t, m.adminRole, "admin", "snow-admin") // so that there is a current session to keep

	closed, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	// A listener that never accepts: the kernel completes the handshake, nobody answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })

	const wrongSecret = "WrongSecretWrongSecretWrongSecret0000000"
	assume := []string{"assume", "--role-arn", m.adminRole}
	// The session cache is keyed by endpoint, access key id, role, session name and
	// duration, not by the secret: the session assumed above would be served to a
	// wrong secret from the cache. Another session name makes env ask the device.
	env := []string{"env", "--shell", "bash", "--role-arn", m.adminRole, "--role-session-name", "env-failure"}
	tests := []struct {
		name   string
		keyID  string
		secret string
		sts    string
		args   []string // after --profile
		code   int
		stderr []string
	}{
		{name: "wrong secret", keyID: m.keyID, secret: wrongSecret, sts: m.url, args: assume, code: 4,
			stderr: []string{"SignatureDoesNotMatch", "hint: "}},
		{name: "unknown access key", keyID: "AKIAUNKNOWNINTEROP00", secret: wrongSecret, sts: m.url, args: assume, code: 4,
			stderr: []string{"InvalidClientTokenId", "hint: "}},
		{name: "closed port", keyID: m.keyID, secret: m.secret, sts: fmt.Sprintf("http://127.0.0.1:%d", closed), args: assume, code: 5,
			stderr: []string{"refused", "hint: "}},
		{name: "silent port", keyID: m.keyID, secret: m.secret, sts: "http://" + silent.Addr().String(),
			args: append([]string{"--timeout", "3s"}, assume...), code: 5, stderr: []string{"did not answer in time", "hint: "}},
		{name: "env wrong secret", keyID: m.keyID, secret: wrongSecret, sts: m.url, args: env, code: 4,
			stderr: []string{"SignatureDoesNotMatch", "hint: "}},
		{name: "env silent port", keyID: m.keyID, secret: m.secret, sts: "http://" + silent.Addr().String(),
			args: append([]string{"--timeout", "3s"}, env...), code: 5, stderr: []string{"did not answer in time", "hint: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "dev-" + strings.ReplaceAll(tc.name, " ", "-")
			ini := s.writeFile(t, name+".ini", fmt.Sprintf("[snowballEdge]\naws_access_key_id = %s\naws_secret_access_key = %s\n", tc.keyID, tc.secret))
			s.snowsts(t, 0, "--profile", name, "configure", "--device", "127.0.0.1",
				"--sts-endpoint", tc.sts, "--iam-endpoint", tc.sts, "--import-credentials", ini)
			before := [][]byte{readFile(t, s.config), readFile(t, s.creds), readFile(t, s.current)}

			r := s.snowsts(t, tc.code, append([]string{"--profile", name}, tc.args...)...)
			if r.Took > 10*time.Second {
				t.Errorf("took %v, want under 10s", r.Took)
			}
			if r.Stdout != "" {
				t.Errorf("stdout %q, want nothing", r.Stdout)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
				}
			}
			if strings.Contains(r.Stderr, tc.secret) || strings.Contains(r.Stderr, m.secret) {
				t.Errorf("stderr shows a secret:\n%s", r.Stderr)
			}
			after := [][]byte{readFile(t, s.config), readFile(t, s.creds), readFile(t, s.current)}
			for i, file := range []string{s.config, s.creds, s.current} {
				if !bytes.Equal(before[i], after[i]) {
					t.Errorf("%s changed:\n--- before\n%s\n--- after\n%s", filepath.Base(file), before[i], after[i])
				}
			}
			if _, err := os.Stat(s.current); err != nil {
				t.Errorf("current session: %v", err)
			}
		})
	}
}
