package devicesim

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestFaultsSDK(t *testing.T) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/admin"), RoleSessionName: aws.String("faults")}
	tests := []struct {
		name     string
		faults   Faults
		attempts int    // SDK attempts (1: no retries)
		wantCode string // API error code; "" with wantErr for a transport or parse error
		wantErr  string // substring of the error
		calls    int64
		issued   int64
		left     Faults
	}{
		{name: "throttle refused without retries", faults: Faults{Throttle: 2}, attempts: 1, wantCode: "Throttling", wantErr: "Rate exceeded", calls: 1, left: Faults{Throttle: 1}},
		{name: "throttle retried by the SDK", faults: Faults{Throttle: 2}, attempts: 3, calls: 3, issued: 1},
		{name: "server error", faults: Faults{ServerError: 1}, attempts: 1, wantCode: "InternalFailure", calls: 1},
		{name: "server error retried by the SDK", faults: Faults{ServerError: 1}, attempts: 2, calls: 2, issued: 1},
		{name: "malformed body", faults: Faults{Malformed: 1}, attempts: 1, wantErr: "XML syntax error", calls: 1},
		{name: "truncated body", faults: Faults{Truncate: 1}, attempts: 1, wantErr: "EOF", calls: 1, issued: 1},
		{name: "dropped connection", faults: Faults{Drop: 1}, attempts: 1, wantErr: "EOF", calls: 1},
		{name: "clock skewed far ahead", faults: Faults{ClockSkew: Duration(time.Hour)}, attempts: 1, wantCode: "RequestExpired", calls: 1, left: Faults{ClockSkew: Duration(time.Hour)}},
		{name: "clock skewed within the window", faults: Faults{ClockSkew: Duration(10 * time.Minute)}, attempts: 1, calls: 1, issued: 1, left: Faults{ClockSkew: Duration(10 * time.Minute)}},
		{name: "drop before throttle", faults: Faults{Drop: 1, Throttle: 1}, attempts: 1, wantErr: "EOF", calls: 1, left: Faults{Throttle: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if err := f.dev.SetFaults(tc.faults); err != nil {
				t.Fatal(err)
			}
			cfg := sdkConfig("snow", f.operator())
			cfg.RetryMaxAttempts = tc.attempts
			out, err := f.sts(cfg).AssumeRole(ctx(t), in)
			switch {
			case tc.wantCode == "" && tc.wantErr == "":
				if err != nil {
					t.Fatalf("AssumeRole: %v", err)
				}
				if tc.faults.ClockSkew != 0 {
					want := time.Now().Add(time.Duration(tc.faults.ClockSkew) + time.Hour)
					if d := out.Credentials.Expiration.Sub(want).Abs(); d > 2*time.Second {
						t.Errorf("Expiration %v, want device clock + 1h = %v", out.Credentials.Expiration, want)
					}
				}
			default:
				if got := errorCode(err); got != tc.wantCode {
					t.Errorf("code %q (%v), want %q", got, err, tc.wantCode)
				}
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want it to contain %q", err, tc.wantErr)
				}
			}
			if got := f.dev.Calls(ActionAssumeRole); got != tc.calls {
				t.Errorf("Calls = %d, want %d", got, tc.calls)
			}
			if got := f.dev.AssumeRoleIssued(); got != tc.issued {
				t.Errorf("AssumeRoleIssued = %d, want %d", got, tc.issued)
			}
			if got := f.dev.Faults(); got != tc.left {
				t.Errorf("faults left %+v, want %+v", got, tc.left)
			}
		})
	}
}

func TestLatencyFault(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.dev.SetFaults(Faults{Latency: Duration(300 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, _ := do(t, signedRequest(t, f.srv.URL, assumeParams(), f.st.Users[0], sigOpts{}))
	if el := time.Since(start); el < 300*time.Millisecond || resp.StatusCode != 200 {
		t.Errorf("status %d after %v, want 200 after at least 300ms", resp.StatusCode, el)
	}
	// The control path is never delayed.
	start = time.Now()
	do(t, must(http.NewRequest("GET", f.srv.URL+"/_snowsts/calls", nil)))
	if el := time.Since(start); el > 250*time.Millisecond {
		t.Errorf("control path took %v", el)
	}
}

func TestClockSkewDateHeader(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.dev.SetFaults(Faults{ClockSkew: Duration(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	resp, _ := do(t, signedRequest(t, f.srv.URL, assumeParams(), f.st.Users[0], sigOpts{}))
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(date); d > -119*time.Minute || d < -121*time.Minute {
		t.Errorf("Date %v is %v from now, want -2h", date, d)
	}
	if resp.StatusCode != 400 {
		t.Errorf("status %d, want 400 RequestExpired", resp.StatusCode)
	}
}
