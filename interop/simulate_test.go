//go:build unix

package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSimulateServesTheAWSCLI runs `snowsts simulate` as a user would, reads
// its one JSON line, and points the real AWS CLI v1 and boto3 at it: the
// printed keys assume a role, every kind of bad request is refused with the
// code real STS uses, IAM lists the state file's roles, and SIGTERM stops it.
func TestSimulateServesTheAWSCLI(t *testing.T) {
	requireTool(t, "aws", "--version")
	requireTool(t, "python3", "-c", "import boto3")
	s := newSandbox(t)
	state := s.writeFile(t, "state.json", `{"account_id": "210987654321",
 "users": [{"name": "field", "access_key_id": "AKIASIMULATED0000001", "secret_access_key": "simulated/secret+key0123456789", "can_assume": ["ops"]}],
 "roles": [{"name": "ops", "path": "/field/", "max_session_duration": 7200}, {"name": "locked"}]}`)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sim := exec.CommandContext(ctx, snowstsBin, "simulate", "--listen", "127.0.0.1:0", "--state", state)
	sim.Env = s.env
	stdout, err := sim.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sim.Wait() }()
	defer func() { _ = sim.Process.Kill() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no banner line: %v", err)
	}
	var banner struct {
		Endpoint, AccessKeyId, SecretAccessKey string
		Roles                                  []string
	}
	if err := json.Unmarshal([]byte(line), &banner); err != nil {
		t.Fatalf("banner %q: %v", line, err)
	}
	wantOrder := `{"Endpoint":"` + banner.Endpoint + `","AccessKeyId":"AKIASIMULATED0000001","SecretAccessKey":"simulated/secret+key0123456789","Roles":["arn:aws:iam::210987654321:role/field/ops","arn:aws:iam::210987654321:role/locked"]}` + "\n"
	if line != wantOrder {
		t.Fatalf("banner\n%s\nwant\n%s", line, wantOrder)
	}

	aws := func(key, secret string, args ...string) result {
		env := append(append([]string{}, s.env...), "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret)
		old := s.env
		s.env = env
		defer func() { s.env = old }()
		return s.run(t, 30*time.Second, "", "aws", append([]string{"--endpoint-url", banner.Endpoint, "--output", "json"}, args...)...)
	}
	ops := banner.Roles[0]
	r := aws(banner.AccessKeyId, banner.SecretAccessKey, "--region", "snow", "sts", "assume-role", "--role-arn", ops, "--role-session-name", "field-test", "--duration-seconds", "7200")
	if r.Code != 0 || !strings.Contains(r.Stdout, `"AccessKeyId": "ASIA`) || !strings.Contains(r.Stdout, "assumed-role/ops/field-test") {
		t.Fatalf("assume-role with the printed keys: %s", r)
	}
	for _, c := range []struct {
		name, key, secret, code string
		args                    []string
	}{
		{"wrong secret", banner.AccessKeyId, "not-the-secret-at-all", "SignatureDoesNotMatch", []string{"--region", "snow"}},
		{"unknown key", "AKIANOBODY0000000000", banner.SecretAccessKey, "InvalidClientTokenId", []string{"--region", "snow"}},
		{"unsigned", banner.AccessKeyId, banner.SecretAccessKey, "MissingAuthenticationToken", []string{"--region", "snow", "--no-sign-request"}},
		{"another region", banner.AccessKeyId, banner.SecretAccessKey, "SignatureDoesNotMatch", []string{"--region", "us-east-1"}},
		{"role not allowed", banner.AccessKeyId, banner.SecretAccessKey, "AccessDenied", []string{"--region", "snow"}},
		{"longer than the role allows", banner.AccessKeyId, banner.SecretAccessKey, "ValidationError", []string{"--region", "snow"}},
	} {
		role, dur := ops, "3600"
		switch c.name {
		case "role not allowed":
			role = banner.Roles[1]
		case "longer than the role allows":
			dur = "10800"
		}
		args := append(c.args, "sts", "assume-role", "--role-arn", role, "--role-session-name", "field-test", "--duration-seconds", dur)
		r := aws(c.key, c.secret, args...)
		if r.Code == 0 || !strings.Contains(r.Stderr, "("+c.code+")") {
			t.Errorf("%s: want the AWS CLI to report %s, got %s", c.name, c.code, r)
		}
	}
	r = aws(banner.AccessKeyId, banner.SecretAccessKey, "--region", "snow", "iam", "list-roles", "--query", "Roles[].Arn")
	if r.Code != 0 || !strings.Contains(r.Stdout, banner.Roles[0]) || !strings.Contains(r.Stdout, banner.Roles[1]) {
		t.Fatalf("iam list-roles: %s", r)
	}
	py := `import boto3,sys
s = boto3.client("sts", region_name="snow", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
print(s.assume_role(RoleArn=sys.argv[4], RoleSessionName="boto3-test")["AssumedRoleUser"]["Arn"])`
	r = s.run(t, 30*time.Second, "", "python3", "-c", py, banner.Endpoint, banner.AccessKeyId, banner.SecretAccessKey, ops)
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "arn:aws:sts::210987654321:assumed-role/ops/boto3-test" {
		t.Fatalf("boto3 assume_role: %s", r)
	}

	if err := sim.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("simulate after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop on SIGTERM")
	}
}
