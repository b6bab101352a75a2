package profile

import (
	"errors"
	"slices"
	"testing"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

func TestCheckRemovable(t *testing.T) {
	const cfgText = `[profile snow]
region = snow
x_snowsts_managed = true
x_snowsts_kind = device

[profile snow-admin]
x_snowsts_managed = true
x_snowsts_kind = assumed

[profile proc]
x_snowsts_managed = true
x_snowsts_kind = process

[profile hand]
region = snow

[profile unmarked-kind]
x_snowsts_kind = assumed

[profile marked-device-kind-missing]
x_snowsts_managed = true

[default]
x_snowsts_managed = true
x_snowsts_kind = assumed

[profile keysonly]
region = snow
`
	const credsText = `[snow]
aws_access_key_id = AKIA
aws_secret_access_key = s
x_snowsts_managed = true

[snow-admin]
aws_access_key_id = ASIA
aws_secret_access_key = s
aws_session_token = t
x_snowsts_managed = true

[orphan]
aws_access_key_id = ASIA
aws_secret_access_key = s
aws_session_token = t
x_snowsts_managed = true

[orphan-device]
aws_access_key_id = AKIA
aws_secret_access_key = s
x_snowsts_managed = true

[hand-creds]
aws_access_key_id = ASIA
aws_secret_access_key = s
aws_session_token = t

[keysonly]
aws_access_key_id = AKIA
aws_secret_access_key = s
x_snowsts_managed = true
`
	cfg, err := awsfile.Parse([]byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := awsfile.Parse([]byte(credsText))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		ok       bool
		notExist bool
	}{
		{name: "snow-admin", ok: true},
		{name: "proc", ok: true},
		{name: "default", ok: true},
		{name: "orphan", ok: true},
		{name: "snow"},
		{name: "orphan-device"},
		{name: "keysonly"},
		{name: "hand"},
		{name: "hand-creds"},
		{name: "unmarked-kind"},
		{name: "marked-device-kind-missing"},
		{name: "nosuch", notExist: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRemovable(cfg, creds, tt.name)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if exitcode.Of(err) != exitcode.Config {
				t.Fatalf("error %v, want exit code Config", err)
			}
			if errors.Is(err, ErrNoProfile) != tt.notExist {
				t.Errorf("errors.Is(%v, ErrNoProfile) = %v", err, !tt.notExist)
			}
		})
	}
	if got, want := ListRemovable(cfg, creds), []string{"snow-admin", "proc", "default", "orphan"}; !slices.Equal(got, want) {
		t.Errorf("ListRemovable = %q, want %q", got, want)
	}
}
