package device

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/snowsts/snowsts/pkg/devicesim"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// sdkSTS is the AWS SDK for Go v2's own STS client for p, without retries:
// the peer that snowsts's signed Query call is held to.
func sdkSTS(p *Profile) *sts.Client {
	cfg := aws.Config{Region: Region, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(p.AccessKeyID, p.SecretAccessKey, "")}
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(p.Endpoints["sts"]) })
}

// sdkAssume calls AssumeRole through the SDK's client and classifies its error
// as snowsts does. The SDK reads an empty reply as one without credentials,
// which snowsts refuses (exit 5).
func sdkAssume(p *Profile, role string, dur int) (*sts.AssumeRoleOutput, error) {
	out, err := sdkSTS(p).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String("snowsts-test"), DurationSeconds: aws.Int32(int32(dur))})
	if err == nil && out.Credentials == nil {
		return nil, exitcode.New(exitcode.Unreachable, errors.New("no Credentials"), "")
	}
	return out, Classify(err, p, "sts")
}

// TestQueryAgreesWithTheSDK holds AssumeRole (a Query call signed by the SDK's
// v4 signer) to the SDK's generated STS client against the same simulated
// device: the same credentials' shape, expiry and assumed-role user on
// success, and the same exit code and device error code on every refusal and
// fault the device can produce.
func TestQueryAgreesWithTheSDK(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*devicesim.Device, *Profile)
		role  string
		dur   int
		code  int // both must give this exit code
		error string
	}{
		{"success", nil, adminARN, 900, exitcode.OK, ""},
		{"longest duration", nil, adminARN, 3600, exitcode.OK, ""},
		{"wrong secret", func(_ *devicesim.Device, p *Profile) { p.SecretAccessKey = "wrong-secret-wrong-secret" }, adminARN, 900, exitcode.Refused, "SignatureDoesNotMatch"},
		{"unknown key", func(_ *devicesim.Device, p *Profile) { p.AccessKeyID = "AKIANOTKNOWN00000000" }, adminARN, 900, exitcode.Refused, "InvalidClientTokenId"},
		{"unknown role", nil, "arn:aws:iam::123456789012:role/nope", 900, exitcode.Refused, "AccessDenied"},
		{"duration above the role's maximum", nil, adminARN, 7200, exitcode.Refused, "ValidationError"},
		{"stale clock, no retry", func(d *devicesim.Device, _ *Profile) {
			must(t, d.SetFaults(devicesim.Faults{ClockSkew: devicesim.Duration(-40 * time.Minute)}))
		}, adminARN, 900, exitcode.Refused, "RequestExpired"},
		{"throttled", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Throttle: 2})) }, adminARN, 900, exitcode.Unreachable, "Throttling"},
		{"5xx", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{ServerError: 2})) }, adminARN, 900, exitcode.Unreachable, "kept failing"},
		{"malformed XML", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Malformed: 2})) }, adminARN, 900, exitcode.Unreachable, "not an AWS STS reply"},
		{"dropped connection", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Drop: 2})) }, adminARN, 900, exitcode.Unreachable, ""},
		{"truncated body", func(d *devicesim.Device, _ *Profile) { must(t, d.SetFaults(devicesim.Faults{Truncate: 2})) }, adminARN, 900, exitcode.Unreachable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev, p := newDevice(t)
			if tt.setup != nil {
				tt.setup(dev, p)
			}
			c, err := NewClient(p, Options{MaxAttempts: 1})
			must(t, err)
			ours, oursErr := c.AssumeRole(context.Background(), tt.role, "snowsts-test", tt.dur)
			theirs, sdkErr := sdkAssume(p, tt.role, tt.dur)
			if got, want := exitcode.Of(oursErr), exitcode.Of(sdkErr); got != tt.code || want != tt.code {
				t.Fatalf("exit code: snowsts %d (%v), SDK %d (%v), want %d", got, oursErr, want, sdkErr, tt.code)
			}
			if tt.code != exitcode.OK {
				for who, err := range map[string]error{"snowsts": oursErr, "SDK": sdkErr} {
					if !strings.Contains(err.Error(), tt.error) {
						t.Errorf("%s: error %q lacks %q", who, err, tt.error)
					}
				}
				return
			}
			if ours.AssumedRoleARN != aws.ToString(theirs.AssumedRoleUser.Arn) {
				t.Errorf("assumed role ARN: snowsts %q, SDK %q", ours.AssumedRoleARN, aws.ToString(theirs.AssumedRoleUser.Arn))
			}
			if ours.AssumedRoleID == "" || ours.AssumedRoleID != aws.ToString(theirs.AssumedRoleUser.AssumedRoleId) {
				t.Errorf("assumed role id: snowsts %q, SDK %q", ours.AssumedRoleID, aws.ToString(theirs.AssumedRoleUser.AssumedRoleId))
			}
			sdkExp := aws.ToTime(theirs.Credentials.Expiration).UTC().Truncate(time.Second)
			if d := ours.Credentials.Expiration.Sub(sdkExp); d < -2*time.Second || d > 2*time.Second {
				t.Errorf("expiration: snowsts %v, SDK %v", ours.Credentials.Expiration, sdkExp)
			}
			if len(ours.Credentials.AccessKeyID) != len(aws.ToString(theirs.Credentials.AccessKeyId)) ||
				len(ours.Credentials.SecretAccessKey) != len(aws.ToString(theirs.Credentials.SecretAccessKey)) ||
				len(ours.Credentials.SessionToken) != len(aws.ToString(theirs.Credentials.SessionToken)) {
				t.Errorf("credential shapes differ")
			}
			if n := dev.Calls("AssumeRole"); n != 2 {
				t.Errorf("device served %d AssumeRole calls, want 2", n)
			}
		})
	}
}

// TestAssumeRoleReplies feeds AssumeRole replies that no honest device sends,
// the same ones to snowsts and to the SDK's client: a reply the SDK reads,
// snowsts reads the same; a reply the SDK rejects, snowsts rejects (exit 5).
func TestAssumeRoleReplies(t *testing.T) {
	const creds = `<Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE01</AccessKeyId><SecretAccessKey>c2VjcmV0c2VjcmV0c2VjcmV0</SecretAccessKey><SessionToken>dG9rZW4=</SessionToken><Expiration>%s</Expiration></Credentials>`
	user := `<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/admin/s</Arn><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId></AssumedRoleUser>`
	wrap := func(inner string) string {
		return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` + inner +
			`</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`
	}
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	tests := []struct {
		name   string
		status int
		body   string
		code   int
	}{
		{"as STS sends it", 200, wrap(strings.Replace(creds, "%s", exp.Format(time.RFC3339), 1) + user), exitcode.OK},
		{"expiry with a fraction", 200, wrap(strings.Replace(creds, "%s", exp.Format("2006-01-02T15:04:05.000Z"), 1) + user), exitcode.OK},
		{"no assumed-role user", 200, wrap(strings.Replace(creds, "%s", exp.Format(time.RFC3339), 1)), exitcode.OK},
		{"expiry not a time", 200, wrap(strings.Replace(creds, "%s", "tomorrow", 1) + user), exitcode.Unreachable},
		{"not XML", 200, "<html><body>router login</body></html", exitcode.Unreachable},
		{"empty 200", 200, "", exitcode.Unreachable},
		{"truncated", 200, wrap(strings.Replace(creds, "%s", exp.Format(time.RFC3339), 1))[:120], exitcode.Unreachable},
		{"error document", 403, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>`, exitcode.Refused},
		{"error document as EC2 and moto send it", 403, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error></Errors><RequestID>r</RequestID></Response>`, exitcode.Refused},
		{"bare error document", 403, `<Error><Code>InvalidClientTokenId</Code><Message>no</Message></Error>`, exitcode.Refused},
		{"error document without a code", 403, `<ErrorResponse><Error><Message>no</Message></Error></ErrorResponse>`, exitcode.Unreachable},
		{"HTML error page", 404, "<html>not found</html>", exitcode.Unreachable},
		{"server error", 503, "busy", exitcode.Unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			p := &Profile{Name: "snow", Region: Region, ServicesName: "snow", Endpoints: map[string]string{"sts": srv.URL},
				AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret"}
			c, err := NewClient(p, Options{MaxAttempts: 1})
			must(t, err)
			ours, oursErr := c.AssumeRole(context.Background(), adminARN, "snowsts-test", 3600)
			theirs, sdkErr := sdkAssume(p, adminARN, 3600)
			if got := exitcode.Of(oursErr); got != tt.code {
				t.Fatalf("snowsts: exit %d (%v), want %d", got, oursErr, tt.code)
			}
			// The SDK reads a missing assumed-role user as nil and a bad
			// expiry as a deserialization error, as snowsts does.
			if got := exitcode.Of(sdkErr); got != tt.code {
				t.Fatalf("SDK: exit %d (%v), want %d", got, sdkErr, tt.code)
			}
			if tt.code == exitcode.Refused && !strings.Contains(oursErr.Error(), "refused the request: ") ||
				tt.code == exitcode.Refused && strings.SplitN(oursErr.Error(), "refused the request: ", 2)[1] != strings.SplitN(sdkErr.Error(), "refused the request: ", 2)[1] {
				t.Errorf("the refusal reads differently: snowsts %q, SDK %q", oursErr, sdkErr)
			}
			if tt.code != exitcode.OK {
				return
			}
			if ours.Credentials.AccessKeyID != aws.ToString(theirs.Credentials.AccessKeyId) ||
				ours.Credentials.SecretAccessKey != aws.ToString(theirs.Credentials.SecretAccessKey) ||
				ours.Credentials.SessionToken != aws.ToString(theirs.Credentials.SessionToken) ||
				!ours.Credentials.Expiration.Equal(aws.ToTime(theirs.Credentials.Expiration).Truncate(time.Second)) {
				t.Errorf("credentials differ: snowsts %+v, SDK %+v", ours.Credentials, *theirs.Credentials)
			}
			if theirs.AssumedRoleUser != nil && ours.AssumedRoleARN != aws.ToString(theirs.AssumedRoleUser.Arn) {
				t.Errorf("assumed role ARN: snowsts %q, SDK %q", ours.AssumedRoleARN, aws.ToString(theirs.AssumedRoleUser.Arn))
			}
		})
	}
}
