package devicesim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestHostileCredentials(t *testing.T) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/admin"), RoleSessionName: aws.String("hostile")}
	tests := []struct {
		name    string
		hostile string
	}{
		{name: "command substitution", hostile: "$(touch canary)"},
		{name: "backticks and semicolon", hostile: "`touch canary`;touch canary"},
		{name: "quotes and backslash", hostile: `'"\'\\"`},
		{name: "cmd and history characters", hostile: "%PATH%!x!^&|<>"},
		{name: "xml special characters", hostile: "<a>&amp;</a>"},
		{name: "off", hostile: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if err := f.dev.SetFaults(Faults{HostileCredentials: tc.hostile}); err != nil {
				t.Fatal(err)
			}
			out, err := f.sts(sdkConfig("snow", f.operator())).AssumeRole(ctx(t), in)
			if err != nil {
				t.Fatalf("AssumeRole: %v", err)
			}
			c := out.Credentials
			for name, v := range map[string]string{"SecretAccessKey": *c.SecretAccessKey, "SessionToken": *c.SessionToken} {
				if tc.hostile == "" {
					if strings.ContainsAny(v, "$`;'\"\\%!^&|<>") {
						t.Errorf("%s %q carries metacharacters without the fault", name, v)
					}
					continue
				}
				if !strings.Contains(v, tc.hostile) || strings.HasPrefix(v, tc.hostile) || strings.HasSuffix(v, tc.hostile) {
					t.Errorf("%s %q does not carry %q in its middle", name, v, tc.hostile)
				}
			}
			// The hostile credentials are still the device's: they sign an IAM call.
			cfg := sdkConfig("snow", static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
			if _, err := f.iam(cfg).ListRoles(ctx(t), &iam.ListRolesInput{}); err != nil {
				t.Errorf("ListRoles with the issued credentials: %v", err)
			}
			// The fault holds until changed.
			if got := f.dev.Faults().HostileCredentials; got != tc.hostile {
				t.Errorf("fault left %q, want %q", got, tc.hostile)
			}
		})
	}
}

func TestHostileCredentialsControl(t *testing.T) {
	f := newFixture(t, nil)
	body, _ := json.Marshal(map[string]string{"hostile_credentials": "$(id)"})
	resp, err := http.Post(f.srv.URL+"/_snowsts/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || f.dev.Faults().HostileCredentials != "$(id)" {
		t.Fatalf("POST faults: %s, faults %+v", resp.Status, f.dev.Faults())
	}
	if err := f.dev.SetFaults(Faults{HostileCredentials: strings.Repeat("x", maxHostile+1)}); err == nil {
		t.Error("SetFaults accepted a hostile string over the bound")
	}
}
