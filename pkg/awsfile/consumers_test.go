package awsfile

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
)

// writeSnowProfile writes the device profile the way snowsts configure does,
// into files that already hold hand-written content, and returns their paths.
func writeSnowProfile(t *testing.T) Paths {
	t.Helper()
	dir := t.TempDir()
	p := PathsFromEnv(func(string) string { return "" }, dir)
	if err := os.MkdirAll(filepath.Dir(p.Config), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, p.Config, "# mine\r\n[default]\r\nregion=us-west-2\r\n\r\n[profile work]\r\ns3 =\r\n  addressing_style = path\r\n", 0o600)
	write(t, p.Credentials, "[work]\naws_access_key_id=AKIDWORK\naws_secret_access_key=workSECRET", 0o600)
	ctx := context.Background()
	_, err := Update(ctx, p.Config, func(d *Doc) error {
		s := ConfigSection("snow")
		for _, kv := range [][2]string{{"region", "snow"}, {"services", "snow"}} {
			if err := d.Set(s, kv[0], kv[1]); err != nil {
				return err
			}
		}
		if err := d.MarkManaged(s); err != nil {
			return err
		}
		for _, sp := range [][2]string{{"sts", "7078"}, {"iam", "6078"}} {
			if err := d.SetNested("services snow", sp[0], "endpoint_url", "http://192.0.2.10:"+sp[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Update(ctx, p.Credentials, setCreds("snow")); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGoSDKReadsManagedProfile: the Go SDK loads what Update wrote, managed mark
// and all, and still reads the hand-written profile.
func TestGoSDKReadsManagedProfile(t *testing.T) {
	p := writeSnowProfile(t)
	for _, f := range []string{p.Config, p.Credentials} {
		data, _ := os.ReadFile(f)
		t.Logf("%s:\n%q", filepath.Base(f), data)
	}
	opts := func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{p.Config}
		o.CredentialsFiles = []string{p.Credentials}
	}
	sc, err := config.LoadSharedConfigProfile(context.Background(), "snow", opts)
	if err != nil {
		t.Fatalf("Go SDK: %v", err)
	}
	if sc.Region != "snow" || sc.Credentials.AccessKeyID != "AKIDsnow" || sc.Credentials.SecretAccessKey != "SECRETsnow" {
		t.Errorf("Go SDK reads region %q key %q", sc.Region, sc.Credentials.AccessKeyID)
	}
	if got := sc.Services.ServiceValues["sts"]["endpoint_url"]; got != "http://192.0.2.10:7078" {
		t.Errorf("Go SDK reads sts endpoint %q", got)
	}
	if got := sc.Services.ServiceValues["iam"]["endpoint_url"]; got != "http://192.0.2.10:6078" {
		t.Errorf("Go SDK reads iam endpoint %q", got)
	}
	work, err := config.LoadSharedConfigProfile(context.Background(), "work", opts)
	if err != nil || work.Credentials.AccessKeyID != "AKIDWORK" {
		t.Errorf("Go SDK lost the hand-written profile: %v %q", err, work.Credentials.AccessKeyID)
	}
}

// TestAWSCLIReadsManagedProfile: AWS CLI v1 (botocore) accepts the files with the
// managed mark. Skipped without aws, required with SNOWSTS_INTEGRATION=1.
func TestAWSCLIReadsManagedProfile(t *testing.T) {
	awsBin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
			t.Fatal("aws CLI not found and SNOWSTS_INTEGRATION=1")
		}
		t.Skip("aws CLI not installed")
	}
	p := writeSnowProfile(t)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(awsBin, args...)
		cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+p.Config, "AWS_SHARED_CREDENTIALS_FILE="+p.Credentials,
			"AWS_PROFILE=", "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_REGION=", "AWS_DEFAULT_REGION=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"configure", "get", "region", "--profile", "snow"}, "snow"},
		{[]string{"configure", "get", "x_snowsts_managed", "--profile", "snow"}, "true"},
		{[]string{"configure", "get", "aws_access_key_id", "--profile", "snow"}, "AKIDsnow"},
		{[]string{"configure", "get", "region", "--profile", "default"}, "us-west-2"},
		{[]string{"configure", "get", "aws_access_key_id", "--profile", "work"}, "AKIDWORK"},
	}
	for _, tt := range tests {
		if got := run(tt.args...); got != tt.want {
			t.Errorf("aws %v = %q, want %q", tt.args, got, tt.want)
		}
	}
	list := run("configure", "list", "--profile", "snow")
	if !strings.Contains(list, "snow") || !strings.Contains(list, "shared-credentials-file") {
		t.Errorf("aws configure list:\n%s", list)
	}
}
