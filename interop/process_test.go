//go:build unix

package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A profile written by "configure role" is all the AWS CLI and boto3 need: they run
// snowsts credential-process themselves (from a path with a space in it, which the
// written line must quote), share one cached session, and reach the device through
// the services section.
func TestConfigureRoleServesTheAWSCLIAndBoto3(t *testing.T) {
	m := startMoto(t)
	s := newSandbox(t)

	// snowsts installed where the path has a space, as under "Program Files".
	bin := filepath.Join(s.dir, "my tools", "snowsts")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(snowstsBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}

	s.configure(t, m, "snow", m.keyID, m.secret)
	credsBefore := readFile(t, s.creds)
	r := s.run(t, 30*time.Second, "", bin, "configure", "role", "ops", "--role-arn", m.auditorRole)
	if r.Code != 0 {
		t.Fatalf("snowsts configure role: %s", r)
	}
	cfg := string(readFile(t, s.config))
	for _, want := range []string{
		"[profile ops]\n",
		"services = snow\n",
		`credential_process = "` + bin + `" credential-process --profile snow --role-arn ` + m.auditorRole,
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	if after := readFile(t, s.creds); string(after) != string(credsBefore) {
		t.Errorf("configure role changed the credentials file:\n%s", after)
	}

	t.Run("aws --profile ops", func(t *testing.T) {
		r := s.ok(t, "aws", "--profile", "ops", "--output", "json", "sts", "get-caller-identity")
		var got struct{ Arn, Account string }
		decodeJSON(t, "aws sts get-caller-identity", r.Stdout, &got)
		if got.Arn != assumedARN("auditor") || got.Account != account {
			t.Errorf("get-caller-identity = %+v, want %s", got, assumedARN("auditor"))
		}
		r = s.ok(t, "aws", "--profile", "ops", "--output", "text", "iam", "get-role", "--role-name", "admin", "--query", "Role.Arn")
		if strings.TrimSpace(r.Stdout) != m.adminRole {
			t.Errorf("iam get-role through credential_process = %q, want %s", r.Stdout, m.adminRole)
		}
	})

	// boto3 resolves the same profile; its key must be the one snowsts cached for
	// the AWS CLI, which credential-process then serves without a device call.
	const boto3Script = `
import json, boto3
sess = boto3.Session(profile_name="ops")
print(json.dumps({"region": sess.region_name, "key": sess.get_credentials().get_frozen_credentials().access_key,
                  "arn": sess.client("sts").get_caller_identity()["Arn"]}))
`
	t.Run("boto3 Session(profile_name=ops)", func(t *testing.T) {
		r := s.ok(t, "python3", "-c", boto3Script)
		var got struct{ Region, Key, Arn string }
		decodeJSON(t, "boto3", r.Stdout, &got)
		if got.Region != "snow" || got.Arn != assumedARN("auditor") || !strings.HasPrefix(got.Key, "ASIA") {
			t.Errorf("boto3 saw %+v, want region snow, %s and an ASIA key", got, assumedARN("auditor"))
		}

		r = s.run(t, 30*time.Second, "", bin, "credential-process", "--role-arn", m.auditorRole)
		if r.Code != 0 {
			t.Fatalf("snowsts credential-process: %s", r)
		}
		var out struct {
			Version                                                int
			AccessKeyId, SecretAccessKey, SessionToken, Expiration string
		}
		decodeJSON(t, "credential-process", r.Stdout, &out)
		if out.Version != 1 || out.AccessKeyId != got.Key || out.SecretAccessKey == "" || out.SessionToken == "" {
			t.Errorf("credential-process served key %q (version %d), want boto3's cached %q", out.AccessKeyId, out.Version, got.Key)
		}
		if _, err := time.Parse("2006-01-02T15:04:05Z", out.Expiration); err != nil {
			t.Errorf("Expiration %q: %v", out.Expiration, err)
		}
	})
}
