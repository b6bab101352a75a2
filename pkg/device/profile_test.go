package device

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// TestLoadProfileAgreesWithTheSDK holds LoadProfile to what the AWS SDK for Go
// v2's own loader reads from the same files.
func TestLoadProfileAgreesWithTheSDK(t *testing.T) {
	tests := []struct {
		name, profile, config, credentials string
	}{
		{"as snowsts writes it", "snow",
			"[profile snow]\nregion = snow\nservices = snow\nx_snowsts_managed = true\nca_bundle = /etc/snow.pem\n\n[services snow]\nsts =\n  endpoint_url = http://192.0.2.10:7078\niam =\n  endpoint_url = http://192.0.2.10:6078\n",
			"[snow]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = sec/ret+1\nx_snowsts_managed = true\n"},
		{"hand-written, terse", "dev",
			"# mine\n[profile dev]\nregion=snow\nservices=devsvc\n[services devsvc]\nsts =\n\tendpoint_url=https://snow.lab:7089\ns3 =\n  endpoint_url = https://snow.lab:8443\n  addressing_style = path\n",
			"[dev]\naws_access_key_id=AKIADEV\naws_secret_access_key=devsecret\n"},
		{"keys only in the config file", "cfgkeys",
			"[profile cfgkeys]\nregion = snow\nservices = s\naws_access_key_id = AKIACFG\naws_secret_access_key = cfgsecret\n[services s]\nsts =\n  endpoint_url = http://10.0.0.1:7078\n",
			""},
		{"credentials file wins", "both",
			"[profile both]\nregion = snow\naws_access_key_id = AKIACFG\naws_secret_access_key = cfgsecret\n",
			"[both]\naws_access_key_id = AKIACREDS\naws_secret_access_key = credsecret\n"},
		{"default profile", "default",
			"[default]\nregion = snow\nservices = d\n[services d]\nsts =\n  endpoint_url = http://192.0.2.1:7078\n",
			"[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = defsecret\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
			must(t, os.WriteFile(files.Config, []byte(tt.config), 0o600))
			must(t, os.WriteFile(files.Credentials, []byte(tt.credentials), 0o600))
			got, err := LoadProfile(context.Background(), files, tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := config.LoadSharedConfigProfile(context.Background(), tt.profile, func(o *config.LoadSharedConfigOptions) {
				o.ConfigFiles = []string{files.Config}
				o.CredentialsFiles = []string{files.Credentials}
			})
			if err != nil {
				t.Fatal(err)
			}
			want := &Profile{Name: tt.profile, Region: sc.Region, ServicesName: sc.ServicesSectionName, CABundle: sc.CustomCABundle,
				AccessKeyID: sc.Credentials.AccessKeyID, SecretAccessKey: sc.Credentials.SecretAccessKey, Endpoints: map[string]string{}}
			for svc, kv := range sc.Services.ServiceValues {
				if u := kv["endpoint_url"]; u != "" {
					want.Endpoints[svc] = u
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("LoadProfile read\n%+v\nthe SDK read\n%+v", got, want)
			}
		})
	}
}

func TestLoadProfileErrors(t *testing.T) {
	dir := t.TempDir()
	files := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	if _, err := LoadProfile(context.Background(), files, "snow"); exitcode.Of(err) != exitcode.Config {
		t.Fatalf("missing files: %v", err)
	}
	must(t, os.WriteFile(files.Config, []byte("[profile snow\n"), 0o600))
	if _, err := LoadProfile(context.Background(), files, "snow"); exitcode.Of(err) != exitcode.Config {
		t.Fatalf("malformed file: %v", err)
	}
}
