package devicesim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLoadState(t *testing.T) {
	const user = `{"name":"operator","access_key_id":"AKIAOPERATOR00000001","secret_access_key":"s3cretS3cretS3cretS3cret","can_assume":["*"]}`
	tests := []struct {
		name    string
		doc     string
		wantErr string // "" for a valid document
	}{
		{name: "contract example", doc: `{"account_id": "123456789012",
 "users": [` + user + `],
 "roles": [{"name": "admin", "path": "/ops/", "max_session_duration": 3600}]}`},
		{name: "defaults filled in", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[{"name":"admin"}]}`},
		{name: "faults", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[],"faults":{"latency":"50ms","throttle":2,"clock_skew":"-1h"}}`},
		{name: "unknown field", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[],"colour":"red"}`, wantErr: `unknown field "colour"`},
		{name: "unknown fault", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[],"faults":{"explode":1}}`, wantErr: `unknown field "explode"`},
		{name: "bad fault duration", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[],"faults":{"latency":"soon"}}`, wantErr: "duration"},
		{name: "negative fault count", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[],"faults":{"drop":-1}}`, wantErr: "faults: counts must not be negative"},
		{name: "trailing data", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[]} {}`, wantErr: "after the JSON object"},
		{name: "bad account", doc: `{"account_id":"1234","users":[` + user + `],"roles":[]}`, wantErr: `account_id "1234"`},
		{name: "no users", doc: `{"account_id":"123456789012","users":[],"roles":[]}`, wantErr: "at least one user"},
		{name: "duplicate role", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[{"name":"a"},{"name":"a"}]}`, wantErr: `duplicate role name "a"`},
		{name: "duplicate user", doc: `{"account_id":"123456789012","users":[` + user + `,` + user + `],"roles":[]}`, wantErr: `duplicate user name "operator"`},
		{name: "duplicate key", doc: `{"account_id":"123456789012","users":[` + user + `,` + strings.Replace(user, `"operator"`, `"other"`, 1) + `],"roles":[]}`, wantErr: `duplicate access_key_id`},
		{name: "path without trailing slash", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[{"name":"a","path":"/ops"}]}`, wantErr: `path "/ops"`},
		{name: "path without leading slash", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[{"name":"a","path":"ops/"}]}`, wantErr: `path "ops/"`},
		{name: "role name with slash", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[{"name":"a/b"}]}`, wantErr: `name "a/b"`},
		{name: "max session too long", doc: `{"account_id":"123456789012","users":[` + user + `],"roles":[{"name":"a","max_session_duration":50000}]}`, wantErr: "max_session_duration 50000"},
		{name: "can_assume unknown role", doc: strings.Replace(`{"account_id":"123456789012","users":[`+user+`],"roles":[]}`, `["*"]`, `["ghost"]`, 1), wantErr: `no role named "ghost"`},
		{name: "ASIA key for a user", doc: `{"account_id":"123456789012","users":[` + strings.Replace(user, "AKIA", "ASIA", 1) + `],"roles":[]}`, wantErr: "kept for temporary credentials"},
		{name: "short secret", doc: `{"account_id":"123456789012","users":[` + strings.Replace(user, "s3cretS3cretS3cretS3cret", "short", 1) + `],"roles":[]}`, wantErr: "secret_access_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := LoadState(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cretS3cret") {
					t.Errorf("error reveals the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range st.Roles {
				if r.Path == "" || r.MaxSessionDuration == 0 {
					t.Errorf("role %+v: defaults not filled in", r)
				}
			}
			if _, err := New(st); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
	if _, err := LoadState(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "read device state") {
		t.Errorf("missing file: %v", err)
	}
}

func TestDefaultState(t *testing.T) {
	a, err := DefaultState()
	if err != nil {
		t.Fatal(err)
	}
	b, err := DefaultState()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(); err != nil {
		t.Fatalf("default state invalid: %v", err)
	}
	u := a.Users[0]
	if !regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`).MatchString(u.AccessKeyID) || len(u.SecretAccessKey) != 40 || u.Name != "operator" {
		t.Errorf("user %q %q", u.Name, u.AccessKeyID)
	}
	if u.AccessKeyID == b.Users[0].AccessKeyID || u.SecretAccessKey == b.Users[0].SecretAccessKey {
		t.Error("two default states share keys")
	}
	d, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"arn:aws:iam::123456789012:role/admin", "arn:aws:iam::123456789012:role/operator", "arn:aws:iam::123456789012:role/ops/auditor"}
	if got := d.RoleARNs(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("RoleARNs = %v", got)
	}
}

func TestBannerJSON(t *testing.T) {
	st := testState()
	d, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d.Banner("http://127.0.0.1:7078"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Endpoint":"http://127.0.0.1:7078","AccessKeyId":"AKIAOPERATOR00000001","SecretAccessKey":"operatorSecretKey0000000000000000000000000","Roles":["arn:aws:iam::123456789012:role/admin","arn:aws:iam::123456789012:role/operator","arn:aws:iam::123456789012:role/ops/auditor"]}`
	if string(b) != want {
		t.Errorf("banner\n got %s\nwant %s", b, want)
	}
}

func TestStateIsCopied(t *testing.T) {
	st := testState()
	d, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	st.Roles[0].Name = "changed"
	got := d.State()
	if got.Roles[0].Name != "admin" {
		t.Error("New kept a reference to the caller's state")
	}
	got.Users[0].CanAssume[0] = "x"
	if d.State().Users[0].CanAssume[0] != "*" {
		t.Error("State returned a shared slice")
	}
	if err := d.SetFaults(Faults{Latency: Duration(time.Hour)}); err == nil {
		t.Error("SetFaults accepted a 1h latency")
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{`"250ms"`, 250 * time.Millisecond, true},
		{`"-5m"`, -5 * time.Minute, true},
		{`"0"`, 0, true},
		{`5`, 0, false},
		{`"5 minutes"`, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var d Duration
			err := json.Unmarshal([]byte(tc.in), &d)
			if (err == nil) != tc.ok || time.Duration(d) != tc.want {
				t.Errorf("got %v, %v", time.Duration(d), err)
			}
			if tc.ok {
				b, _ := json.Marshal(d)
				var back Duration
				if err := json.Unmarshal(b, &back); err != nil || back != d {
					t.Errorf("round trip %s: %v %v", b, back, err)
				}
			}
		})
	}
}
