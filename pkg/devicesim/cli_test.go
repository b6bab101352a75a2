package devicesim

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireTool finds a real outside tool, skipping the test with a visible
// reason when it is missing, or failing when SNOWSTS_INTEGRATION=1.
func requireTool(t *testing.T, name string, check ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(check) > 0 {
		err = exec.Command(path, check...).Run()
	}
	if err != nil {
		if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
			t.Fatalf("%s is required with SNOWSTS_INTEGRATION=1: %v", name, err)
		}
		t.Skipf("skipping: %s is not usable (%v); set SNOWSTS_INTEGRATION=1 to make this a failure", name, err)
	}
	return path
}

// isolatedEnv is an environment for the AWS CLI and boto3 that reads none of the
// user's files and carries the given keys.
func isolatedEnv(t *testing.T, akid, secret, token string) []string {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + creds,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_RETRY_MODE=standard",
	}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "LANG", "LC_ALL", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if akid != "" {
		env = append(env, "AWS_ACCESS_KEY_ID="+akid, "AWS_SECRET_ACCESS_KEY="+secret)
	}
	if token != "" {
		env = append(env, "AWS_SESSION_TOKEN="+token)
	}
	return env
}

func runTool(t *testing.T, env []string, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.CommandContext(ctx(t), name, args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func TestAWSCLI(t *testing.T) {
	aws := requireTool(t, "aws", "--version")
	f := newFixture(t, nil)
	op := f.st.Users[0]
	const arn = "arn:aws:iam::123456789012:role/operator"
	assume := []string{"--endpoint-url", f.srv.URL, "--region", "snow", "--output", "json",
		"sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli-test", "--duration-seconds", "7200"}

	out, stderr, err := runTool(t, isolatedEnv(t, op.AccessKeyID, op.SecretAccessKey, ""), aws, assume...)
	if err != nil {
		t.Fatalf("aws sts assume-role: %v\n%s", err, stderr)
	}
	var got struct {
		Credentials struct {
			AccessKeyId, SecretAccessKey, SessionToken string
			Expiration                                 time.Time
		}
		AssumedRoleUser struct{ Arn string }
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("decode aws output: %v\n%s", err, out)
	}
	if !strings.HasPrefix(got.Credentials.AccessKeyId, "ASIA") || got.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/operator/cli-test" {
		t.Errorf("unexpected reply %+v", got.AssumedRoleUser)
	}
	if d := time.Until(got.Credentials.Expiration); d < 7100*time.Second || d > 7300*time.Second {
		t.Errorf("Expiration %v is %v away, want 2h", got.Credentials.Expiration, d)
	}

	t.Run("list-roles with the assumed role", func(t *testing.T) {
		c := got.Credentials
		out, stderr, err := runTool(t, isolatedEnv(t, c.AccessKeyId, c.SecretAccessKey, c.SessionToken), aws,
			"--endpoint-url", f.srv.URL, "--region", "snow", "--output", "text", "iam", "list-roles", "--query", "Roles[].Arn")
		if err != nil {
			t.Fatalf("aws iam list-roles: %v\n%s", err, stderr)
		}
		want := strings.Join(f.dev.RoleARNs(), "\t")
		if strings.TrimSpace(out) != want {
			t.Errorf("list-roles = %q, want %q", out, want)
		}
	})
	t.Run("list-roles paging", func(t *testing.T) {
		out, stderr, err := runTool(t, isolatedEnv(t, op.AccessKeyID, op.SecretAccessKey, ""), aws,
			"--endpoint-url", f.srv.URL, "--region", "snow", "--output", "text", "iam", "list-roles", "--page-size", "1", "--query", "Roles[].RoleName")
		if err != nil {
			t.Fatalf("aws iam list-roles: %v\n%s", err, stderr)
		}
		if got := strings.Fields(out); strings.Join(got, " ") != "admin operator auditor" {
			t.Errorf("list-roles = %q", out)
		}
	})
	t.Run("list-users", func(t *testing.T) {
		out, stderr, err := runTool(t, isolatedEnv(t, op.AccessKeyID, op.SecretAccessKey, ""), aws,
			"--endpoint-url", f.srv.URL, "--region", "snow", "--output", "text", "iam", "list-users", "--query", "Users[].UserName")
		if err != nil {
			t.Fatalf("aws iam list-users: %v\n%s", err, stderr)
		}
		if strings.TrimSpace(out) != "operator\tlimited" {
			t.Errorf("list-users = %q", out)
		}
	})

	refusals := []struct {
		name   string
		env    []string
		args   []string
		region string
		want   string
		msg    string
	}{
		{name: "wrong secret", env: isolatedEnv(t, op.AccessKeyID, "wrongSecret000000000000000000000000000000", ""), want: "SignatureDoesNotMatch"},
		{name: "unknown key", env: isolatedEnv(t, "AKIAUNKNOWN000000000", op.SecretAccessKey, ""), want: "InvalidClientTokenId"},
		{name: "unsigned", env: isolatedEnv(t, "", "", ""), args: []string{"--no-sign-request"}, want: "MissingAuthenticationToken"},
		{name: "region other than snow", env: isolatedEnv(t, op.AccessKeyID, op.SecretAccessKey, ""), region: "us-west-2", want: "SignatureDoesNotMatch", msg: "Credential should be scoped to a valid region."},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), assume...)
			if tc.region != "" {
				args = append(args, "--region", tc.region)
			}
			_, stderr, err := runTool(t, tc.env, aws, args...)
			if err == nil {
				t.Fatal("aws sts assume-role succeeded, want a refusal")
			}
			if !strings.Contains(stderr, "("+tc.want+")") {
				t.Errorf("stderr %q, want the code %s", stderr, tc.want)
			}
			if !strings.Contains(stderr, tc.msg) {
				t.Errorf("stderr %q, want %q", stderr, tc.msg)
			}
		})
	}
}

const boto3Script = `
import json, sys, boto3, botocore.exceptions
url, region, arn = sys.argv[1], sys.argv[2], sys.argv[3]
sts = boto3.client("sts", endpoint_url=url, region_name=region)
try:
    r = sts.assume_role(RoleArn=arn, RoleSessionName="boto3-test", DurationSeconds=900)
except botocore.exceptions.ClientError as e:
    print(json.dumps({"error": e.response["Error"]["Code"]}))
    sys.exit(0)
c = r["Credentials"]
iam = boto3.client("iam", endpoint_url=url, region_name=region, aws_access_key_id=c["AccessKeyId"],
                   aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
roles = [x["Arn"] for p in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2}) for x in p["Roles"]]
role = iam.get_role(RoleName="admin")["Role"]["Arn"]
print(json.dumps({"arn": r["AssumedRoleUser"]["Arn"], "key": c["AccessKeyId"][:4], "roles": roles, "role": role}))
`

func TestBoto3(t *testing.T) {
	python := requireTool(t, "python3", "-c", "import boto3")
	f := newFixture(t, nil)
	op := f.st.Users[0]
	const arn = "arn:aws:iam::123456789012:role/admin"
	tests := []struct {
		name   string
		secret string
		region string
		want   string
	}{
		{name: "success", secret: op.SecretAccessKey, region: "snow", want: `{"arn": "arn:aws:sts::123456789012:assumed-role/admin/boto3-test", "key": "ASIA", "roles": ["arn:aws:iam::123456789012:role/admin", "arn:aws:iam::123456789012:role/operator", "arn:aws:iam::123456789012:role/ops/auditor"], "role": "arn:aws:iam::123456789012:role/admin"}`},
		{name: "wrong secret", secret: "wrongSecret000000000000000000000000000000", region: "snow", want: `{"error": "SignatureDoesNotMatch"}`},
		{name: "wrong region", secret: op.SecretAccessKey, region: "eu-west-1", want: `{"error": "SignatureDoesNotMatch"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := runTool(t, isolatedEnv(t, op.AccessKeyID, tc.secret, ""), python, "-c", boto3Script, f.srv.URL, tc.region, arn)
			if err != nil {
				t.Fatalf("python3: %v\n%s", err, stderr)
			}
			if got := strings.TrimSpace(out); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
