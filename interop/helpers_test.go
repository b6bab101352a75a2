//go:build unix

// Package interop tests the real snowsts binary against independent peers: moto_server
// as the device (an STS and IAM written by other people, with SigV4 and IAM policy
// checks switched on), and the AWS CLI v1 and boto3 as the consumers of the files,
// the environment and the credential_process output that snowsts produces.
//
// Every test runs snowsts as a user would, in a throwaway HOME with its own AWS files
// and cache directory and an environment holding none of the developer's AWS_*
// variables. A test skips with its reason when a peer is missing and fails instead
// when SNOWSTS_INTEGRATION=1.
package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snowsts/snowsts/internal/testbin"
)

// account is moto's default account id; the tests check that moto really uses it.
const account = "123456789012"

// snowstsBin is the snowsts binary TestMain builds once for the whole package.
var snowstsBin string

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, "interop", &snowstsBin))
}

// requireTool finds an outside tool (and runs check with it, when given), skipping the
// test with a visible reason when it is not usable, or failing when
// SNOWSTS_INTEGRATION=1.
func requireTool(t *testing.T, name string, check ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(check) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var out []byte
		if out, err = exec.CommandContext(ctx, path, check...).CombinedOutput(); err != nil {
			err = fmt.Errorf("%s %s: %w: %s", name, strings.Join(check, " "), err, bytes.TrimSpace(out))
		}
	}
	if err != nil {
		if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
			t.Fatalf("%s is required with SNOWSTS_INTEGRATION=1: %v", name, err)
		}
		t.Skipf("skipping: %s is not usable (%v); set SNOWSTS_INTEGRATION=1 to make this a failure", name, err)
	}
	return path
}

// requirePeers checks every outside tool these tests use: moto_server for the device,
// python3 with boto3 to provision it (and as a consumer), and the AWS CLI.
func requirePeers(t *testing.T) {
	t.Helper()
	requireTool(t, "moto_server")
	requireTool(t, "python3", "-c", "import boto3")
	requireTool(t, "aws", "--version")
	requireTool(t, "bash", "-c", "true")
}

// result is what one finished process left behind.
type result = testbin.Result

// sandbox is one user's machine: a HOME with the AWS files and the snowsts cache in
// it, and an environment that carries nothing of the developer's AWS setup.
type sandbox struct {
	dir     string
	config  string // AWS_CONFIG_FILE
	creds   string // AWS_SHARED_CREDENTIALS_FILE
	current string // the current session snowsts records
	env     []string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	dir := t.TempDir()
	s := &sandbox{
		dir:     dir,
		config:  filepath.Join(dir, ".aws", "config"),
		creds:   filepath.Join(dir, ".aws", "credentials"),
		current: filepath.Join(dir, "cache", "current.json"),
	}
	s.env = []string{
		// snowsts first on PATH, so that the shell code can say "snowsts" as a user would.
		"PATH=" + filepath.Dir(snowstsBin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + dir,
		"USER=interop", // the default session name is snowsts-<user>
		"AWS_CONFIG_FILE=" + s.config,
		"AWS_SHARED_CREDENTIALS_FILE=" + s.creds,
		"SNOWSTS_CACHE_DIR=" + filepath.Join(dir, "cache"),
		// Never wait for an instance metadata service if credentials are not found.
		"AWS_EC2_METADATA_DISABLED=true",
	}
	// What python (pyenv) and the locale need; nothing that starts with AWS_.
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "LANG", "LC_ALL", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			s.env = append(s.env, k+"="+v)
		}
	}
	return s
}

// run runs name with args in the sandbox, bounded by timeout.
func (s *sandbox) run(t *testing.T, timeout time.Duration, stdin string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.dir
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	return testbin.Run(ctx, t, cmd)
}

// snowsts runs the snowsts binary and fails the test unless it exits with want.
func (s *sandbox) snowsts(t *testing.T, want int, args ...string) result {
	t.Helper()
	r := s.run(t, 30*time.Second, "", snowstsBin, args...)
	if r.Code != want {
		t.Fatalf("snowsts %s: want exit %d, got %s", strings.Join(args, " "), want, r)
	}
	return r
}

// ok runs an outside tool and fails the test unless it succeeds.
func (s *sandbox) ok(t *testing.T, name string, args ...string) result {
	t.Helper()
	r := s.run(t, 30*time.Second, "", name, args...)
	if r.Code != 0 {
		t.Fatalf("%s %s: %s", name, strings.Join(args, " "), r)
	}
	return r
}

// writeFile writes content to name inside the sandbox and returns its path.
func (s *sandbox) writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// configure writes the device profile (--profile name) for m's endpoints and the
// given keys, imported the way an operator would from snowballEdge's output.
func (s *sandbox) configure(t *testing.T, m *moto, name, keyID, secret string) {
	t.Helper()
	ini := s.writeFile(t, name+"-creds.ini", fmt.Sprintf("[snowballEdge]\naws_access_key_id = %s\naws_secret_access_key = %s\n", keyID, secret))
	s.snowsts(t, 0, "--profile", name, "configure", "--device", "127.0.0.1",
		"--sts-endpoint", m.url, "--iam-endpoint", m.url, "--s3-endpoint", m.url, "--ec2-endpoint", m.url,
		"--import-credentials", ini)
}

// moto is a running moto_server with a provisioned device user.
type moto struct {
	url           string
	keyID, secret string // the device user "operator"
	userARN       string
	adminRole     string // arn of role admin (path /)
	auditorRole   string // arn of role auditor (path /ops/)
}

// provisionScript creates what an operator would have set up on the device: a user
// with keys and a policy allowing AssumeRole and IAM reads, and two roles that trust
// the user. moto matches a trust policy's principal exactly (the account root does not
// stand for its users), so the trust policy names the user too.
const provisionScript = `
import json, sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="snow",
          aws_access_key_id="AKIDPROVISIONING", aws_secret_access_key="provisioning")
iam = boto3.client("iam", **kw)
def allow(*actions):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})
user = iam.create_user(UserName="operator")["User"]
key = iam.create_access_key(UserName="operator")["AccessKey"]
iam.put_user_policy(UserName="operator", PolicyName="operator",
                    PolicyDocument=allow("sts:AssumeRole", "iam:List*", "iam:Get*", "s3:List*", "ec2:Describe*"))
account = user["Arn"].split(":")[4]
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"AWS": ["arn:aws:iam::%s:root" % account, user["Arn"]]}}]})
roles = {}
for name, path in (("admin", "/"), ("auditor", "/ops/")):
    roles[name] = iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=allow("iam:List*", "iam:Get*", "s3:List*"))
print(json.dumps({"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"],
                  "UserArn": user["Arn"], "Roles": roles}))
`

// startMoto starts moto_server on a free loopback port, provisions it with auth off,
// then switches its authentication on. It is stopped when the test ends.
func startMoto(t *testing.T) *moto {
	t.Helper()
	requirePeers(t)
	var url string
	for attempt := 0; ; attempt++ {
		var err error
		if url, err = launchMoto(t); err == nil {
			break
		} else if attempt == 2 {
			t.Fatalf("start moto_server: %v", err)
		}
	}

	s := newSandbox(t)
	r := s.run(t, 60*time.Second, "", "python3", "-c", provisionScript, url)
	if r.Code != 0 {
		t.Fatalf("provision moto with boto3: %s", r)
	}
	var p struct {
		AccessKeyId, SecretAccessKey, UserArn string
		Roles                                 map[string]string
	}
	if err := json.Unmarshal([]byte(r.Stdout), &p); err != nil {
		t.Fatalf("provision output: %v\n%s", err, r.Stdout)
	}
	m := &moto{url: url, keyID: p.AccessKeyId, secret: p.SecretAccessKey, userARN: p.UserArn,
		adminRole: p.Roles["admin"], auditorRole: p.Roles["auditor"]}
	if want := "arn:aws:iam::" + account + ":user/operator"; m.userARN != want {
		t.Fatalf("moto made user %q, want %q", m.userARN, want)
	}
	if m.adminRole != "arn:aws:iam::"+account+":role/admin" || m.auditorRole != "arn:aws:iam::"+account+":role/ops/auditor" {
		t.Fatalf("moto made roles %v", p.Roles)
	}
	m.resetAuth(t)
	return m
}

// launchMoto starts one moto_server process and waits until it answers.
func launchMoto(t *testing.T) (string, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return "", err
	}
	var log bytes.Buffer
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = &log, &log
	// Its own process group: the pyenv shim and python go together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start moto_server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			return "", fmt.Errorf("moto_server on port %d exited: %s", port, log.String())
		default:
		}
		if resp, err := client.Get(url + "/moto-api/"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("moto_server on port %d did not answer within 20s: %s", port, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(stop)
	return url, nil
}

// resetAuth switches moto's SigV4 and IAM policy checks on. The body is the bare
// number of unauthenticated requests still allowed, sent raw: moto reads a
// form-encoded body as empty and answers 500.
func (m *moto) resetAuth(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"/moto-api/reset-auth", strings.NewReader("0"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("moto reset-auth: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status": "ok"`) {
		t.Fatalf("moto reset-auth: %s: %s", resp.Status, body)
	}
}

// freePort is a loopback TCP port that nothing listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// readFile returns the bytes of p, or nil when it does not exist.
func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}

// decodeJSON decodes out into v or fails the test showing out.
func decodeJSON(t *testing.T, what, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: decode JSON: %v\n%s", what, err, out)
	}
}
