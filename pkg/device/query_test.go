package device

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// TestListRoles drives the hand-written Query call through the same failure
// classes as the SDK's AssumeRole, against the simulated device.
func TestListRoles(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*devicesim.Device, *Profile)
		code    int
		message string
	}{
		{"ok", nil, exitcode.OK, ""},
		{"throttled twice, then served", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Throttle: 2})) }, exitcode.OK, ""},
		{"500 twice, then served", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{ServerError: 2})) }, exitcode.OK, ""},
		{"dropped once, then served", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Drop: 1})) }, exitcode.OK, ""},
		{"device clock 20 minutes ahead", func(d *devicesim.Device, _ *Profile) {
			must(t, d.SetFaults(devicesim.Faults{ClockSkew: devicesim.Duration(20 * time.Minute)}))
		}, exitcode.OK, ""},
		{"device clock 20 minutes behind", func(d *devicesim.Device, _ *Profile) {
			must(t, d.SetFaults(devicesim.Faults{ClockSkew: devicesim.Duration(-20 * time.Minute)}))
		}, exitcode.OK, ""},
		{"wrong secret", func(_ *devicesim.Device, p *Profile) { p.SecretAccessKey = "wrong-wrong-wrong" }, exitcode.Refused, "IAM endpoint"},
		{"unknown key", func(_ *devicesim.Device, p *Profile) { p.AccessKeyID = "AKIANOTKNOWN00000000" }, exitcode.Refused, "InvalidClientTokenId"},
		{"throttled past retries", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Throttle: 10})) }, exitcode.Unreachable, "Throttling"},
		{"500 past retries", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{ServerError: 10})) }, exitcode.Unreachable, "kept failing"},
		{"malformed", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Malformed: 10})) }, exitcode.Unreachable, "not an AWS IAM reply"},
		{"dropped", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Drop: 10})) }, exitcode.Unreachable, "connection failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev, p := newDevice(t)
			if tt.setup != nil {
				tt.setup(dev, p)
			}
			c, err := NewClient(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			roles, err := c.ListRoles(context.Background())
			if got := exitcode.Of(err); got != tt.code {
				t.Fatalf("exit code %d, want %d (error: %v)", got, tt.code, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.message) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %q, want one line with %q", err, tt.message)
				}
				return
			}
			if len(roles) != 3 || roles[0].Arn != adminARN || roles[2].Path != "/ops/" || roles[0].CreateDate.IsZero() {
				t.Fatalf("roles = %+v", roles)
			}
		})
	}
}

func TestListRolesPages(t *testing.T) {
	st := &devicesim.State{AccountID: "123456789012",
		Users: []devicesim.User{{Name: "op", AccessKeyID: "AKIAPAGINGTEST000001", SecretAccessKey: "paging-secret-0123456789", CanAssume: []string{"*"}}}}
	for i := range 250 {
		st.Roles = append(st.Roles, devicesim.Role{Name: fmt.Sprintf("role-%03d", i)})
	}
	dev, err := devicesim.New(st)
	must(t, err)
	srv := httptest.NewServer(dev)
	defer srv.Close()
	c, err := NewClient(&Profile{Name: "p", Endpoints: map[string]string{"sts": srv.URL, "iam": srv.URL},
		AccessKeyID: "AKIAPAGINGTEST000001", SecretAccessKey: "paging-secret-0123456789"}, Options{})
	must(t, err)
	roles, err := c.ListRoles(context.Background())
	must(t, err)
	if len(roles) != 250 || roles[249].RoleName != "role-249" {
		t.Fatalf("got %d roles, last %+v", len(roles), roles[len(roles)-1])
	}
	if n := dev.Calls("ListRoles"); n < 3 {
		t.Fatalf("ListRoles served in %d pages; the device pages by 100", n)
	}
}
