package profiles

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/profile"
)

var update = flag.Bool("update", false, "rewrite the example files from what snowsts writes (keeping their comment blocks)")

// Fixed inputs: the example device and role, documentation addresses and keys.
const (
	deviceHost  = "192.0.2.10" // TEST-NET-1, RFC 5737
	accessKeyID = "AKIAIOSFODNN7EXAMPLE"
	secretKey   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	roleARN     = "arn:aws:iam::123456789012:role/admin"
	sessionName = "snowsts-operator"
	caBundle    = "/home/operator/.aws/snowball-192.0.2.10.pem"
	snowstsPath = "/usr/local/bin/snowsts"
)

var expiration = time.Date(2026, 12, 4, 16, 5, 0, 0, time.UTC)

// processArgs are the arguments `snowsts configure role` puts in
// credential_process (cmd/snowsts/configure_role.go).
var processArgs = []string{snowstsPath, "credential-process", "--profile", "snow",
	"--role-arn", roleARN, "--role-session-name", sessionName, "--duration-seconds", "3600"}

// written is what one shape's writer put in the two files.
type written struct{ config, credentials []byte }

// write runs fn against empty temp files and returns their content.
func write(t *testing.T, fn func(ctx context.Context, paths awsfile.Paths) error) written {
	t.Helper()
	dir := t.TempDir()
	paths := awsfile.Paths{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	if err := fn(context.Background(), paths); err != nil {
		t.Fatal(err)
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return b
	}
	return written{read(paths.Config), read(paths.Credentials)}
}

func writeDevice(https bool, ca string) func(context.Context, awsfile.Paths) error {
	return func(ctx context.Context, paths awsfile.Paths) error {
		_, err := profile.WriteDevice(ctx, paths, profile.Device{Name: "snow", Endpoints: profile.EndpointsFor(deviceHost, https),
			CABundle: ca, AccessKeyID: accessKeyID, SecretAccessKey: secretKey}, false)
		return err
	}
}

func writeAssumed(ctx context.Context, paths awsfile.Paths) error {
	_, err := profile.WriteAssumed(ctx, paths, profile.Assumed{
		Target:       "snow-admin",
		Role:         profile.Role{DeviceProfile: "snow", RoleARN: roleARN, SessionName: sessionName, DurationSeconds: 3600},
		ServicesName: "snow",
		Credentials: device.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
			SessionToken: "FwoGZXIvYXdzEXAMPLESESSIONTOKEN", Expiration: expiration},
	}, false)
	return err
}

func writeProcess(ctx context.Context, paths awsfile.Paths) error {
	command, err := profile.QuoteCommand(processArgs, "linux")
	if err != nil {
		return err
	}
	_, err = profile.WriteProcess(ctx, paths, profile.Process{Name: "snow-admin-process", ServicesName: "snow", Command: command,
		Role: profile.Role{DeviceProfile: "snow", RoleARN: roleARN, SessionName: sessionName, DurationSeconds: 3600}}, false)
	return err
}

// TestExamplesAreWhatSnowstsWrites compares each example file, past its
// comment block, with what the writer produces for the fixed inputs.
func TestExamplesAreWhatSnowstsWrites(t *testing.T) {
	device := write(t, writeDevice(false, ""))
	deviceHTTPS := write(t, writeDevice(true, caBundle))
	assumed := write(t, writeAssumed)
	process := write(t, writeProcess)
	tests := []struct {
		file string
		got  []byte
	}{
		{"device.config", device.config},
		{"device.credentials", device.credentials},
		{"device-https.config", deviceHTTPS.config},
		{"assumed.config", assumed.config},
		{"assumed.credentials", assumed.credentials},
		{"process.config", process.config},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if len(tt.got) == 0 {
				t.Fatal("the writer wrote nothing")
			}
			raw, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			header, body := splitHeader(raw)
			if len(header) == 0 {
				t.Errorf("%s has no comment block explaining it", tt.file)
			}
			if *update {
				if err := os.WriteFile(tt.file, append(header, tt.got...), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !bytes.Equal(body, tt.got) {
				t.Errorf("%s differs from what snowsts writes (go test ./profiles/ -update to accept)\n--- example\n%s\n--- written\n%s", tt.file, body, tt.got)
			}
		})
	}
	if len(process.credentials) != 0 {
		t.Errorf("a credential_process profile wrote to the credentials file:\n%s", process.credentials)
	}
}

// splitHeader separates the leading comment block (lines starting with '#'
// and the blank line after them) from the file's body.
func splitHeader(b []byte) (header, body []byte) {
	rest := b
	for len(rest) > 0 && rest[0] == '#' {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return b, nil
		}
		rest = rest[i+1:]
	}
	if len(rest) < len(b) && len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	return b[:len(b)-len(rest)], rest
}

// load reads profile name from the example files as the AWS SDK for Go does.
func load(t *testing.T, name, configFile, credentialsFile string) config.SharedConfig {
	t.Helper()
	var creds []string
	if credentialsFile != "" {
		creds = []string{credentialsFile}
	} else {
		creds = []string{filepath.Join(t.TempDir(), "none")}
	}
	sc, err := config.LoadSharedConfigProfile(context.Background(), name, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{configFile}
		o.CredentialsFiles = creds
	})
	if err != nil {
		t.Fatalf("SDK cannot load profile %q from %s: %v", name, configFile, err)
	}
	return sc
}

// TestExamplesLoadInTheSDK loads each example with the SDK's loader and checks
// what every AWS tool will see: region, endpoints, keys, ca_bundle, command.
func TestExamplesLoadInTheSDK(t *testing.T) {
	endpoints := func(sc config.SharedConfig) map[string]string {
		out := map[string]string{}
		for svc, kv := range sc.Services.ServiceValues {
			out[strings.ToLower(svc)] = kv["endpoint_url"]
		}
		return out
	}
	wantEndpoints := func(https bool) map[string]string { return profile.EndpointsFor(deviceHost, https) }
	tests := []struct {
		name, profile, config, credentials string
		check                              func(t *testing.T, sc config.SharedConfig)
	}{
		{"device", "snow", "device.config", "device.credentials", func(t *testing.T, sc config.SharedConfig) {
			checkEndpoints(t, endpoints(sc), wantEndpoints(false))
			if sc.Credentials.AccessKeyID != accessKeyID || sc.Credentials.SecretAccessKey != secretKey {
				t.Errorf("keys = %q/****, want the example's", sc.Credentials.AccessKeyID)
			}
			if sc.CustomCABundle != "" {
				t.Errorf("ca_bundle = %q, want none", sc.CustomCABundle)
			}
		}},
		{"device https", "snow", "device-https.config", "device.credentials", func(t *testing.T, sc config.SharedConfig) {
			checkEndpoints(t, endpoints(sc), wantEndpoints(true))
			if sc.CustomCABundle != caBundle {
				t.Errorf("ca_bundle = %q, want %q", sc.CustomCABundle, caBundle)
			}
		}},
		{"assumed", "snow-admin", "assumed.config", "assumed.credentials", func(t *testing.T, sc config.SharedConfig) {
			if sc.Credentials.SessionToken == "" || !strings.HasPrefix(sc.Credentials.AccessKeyID, "ASIA") {
				t.Errorf("assumed profile has no temporary credentials: key %q", sc.Credentials.AccessKeyID)
			}
			if sc.ServicesSectionName != "snow" {
				t.Errorf("services = %q, want the device profile's (snow)", sc.ServicesSectionName)
			}
		}},
		{"process", "snow-admin-process", "process.config", "", func(t *testing.T, sc config.SharedConfig) {
			// The SDK hands the value to `sh -c` as it is; the path is quoted
			// so that one with spaces works.
			want := `"` + snowstsPath + `" ` + strings.Join(processArgs[1:], " ")
			if sc.CredentialProcess != want {
				t.Errorf("credential_process = %q, want %q", sc.CredentialProcess, want)
			}
			if sc.Credentials.HasKeys() {
				t.Errorf("credential_process profile has static keys")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := load(t, tt.profile, tt.config, tt.credentials)
			if sc.Region != "snow" {
				t.Errorf("region = %q, want snow", sc.Region)
			}
			tt.check(t, sc)
		})
	}
	// The assumed and process profiles name the device profile's services
	// section; with the device's config in front, the SDK resolves it.
	t.Run("assumed with device services", func(t *testing.T) {
		dir := t.TempDir()
		merged := filepath.Join(dir, "config")
		var all []byte
		for _, f := range []string{"device.config", "assumed.config", "process.config"} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all = append(append(all, b...), '\n')
		}
		if err := os.WriteFile(merged, all, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"snow-admin", "snow-admin-process"} {
			checkEndpoints(t, endpoints(load(t, p, merged, "")), wantEndpoints(false))
		}
	})
}

func checkEndpoints(t *testing.T, got, want map[string]string) {
	t.Helper()
	for svc, u := range want {
		if got[svc] != u {
			t.Errorf("endpoint for %s = %q, want %q", svc, got[svc], u)
		}
	}
	if len(got) != len(want) {
		t.Errorf("endpoints = %v, want %v", got, want)
	}
}
