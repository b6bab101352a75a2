package devicesim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

type errorDoc struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

type sigOpts struct {
	method, region, service string
	at                      time.Time
	presign                 bool
	expires                 int
}

// signedRequest builds a query-protocol request signed (or presigned) with
// the SDK's signer, independently of any SDK client.
func signedRequest(t *testing.T, base string, params url.Values, u User, o sigOpts) *http.Request {
	t.Helper()
	if o.method == "" {
		o.method = http.MethodPost
	}
	if o.region == "" {
		o.region = "snow"
	}
	if o.service == "" {
		o.service = "sts"
	}
	if o.at.IsZero() {
		o.at = time.Now()
	}
	var body string
	target := base + "/"
	if o.method == http.MethodPost {
		body = params.Encode()
	} else {
		if o.expires > 0 {
			params.Set("X-Amz-Expires", strconv.Itoa(o.expires))
		}
		target += "?" + params.Encode()
	}
	req, err := http.NewRequest(o.method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: u.AccessKeyID, SecretAccessKey: u.SecretAccessKey}
	signer := v4.NewSigner()
	if o.presign {
		signed, hdr, err := signer.PresignHTTP(ctx(t), creds, req, hex.EncodeToString(sum[:]), o.service, o.region, o.at)
		if err != nil {
			t.Fatal(err)
		}
		req, err = http.NewRequest(o.method, signed, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			if k != "Host" {
				req.Header[k] = v
			}
		}
		return req
	}
	if err := signer.SignHTTP(ctx(t), creds, req, hex.EncodeToString(sum[:]), o.service, o.region, o.at); err != nil {
		t.Fatal(err)
	}
	return req
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func assumeParams() url.Values {
	return url.Values{
		"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
		"RoleArn": {"arn:aws:iam::123456789012:role/admin"}, "RoleSessionName": {"raw-test"},
	}
}

func TestRawRequests(t *testing.T) {
	f := newFixture(t, nil)
	f.clock.advance(3 * time.Minute) // a skew within the window is fine
	op := f.st.Users[0]
	raw := func(method, target, auth, body string) *http.Request {
		req, err := http.NewRequest(method, f.srv.URL+target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
			req.Header.Set("X-Amz-Date", time.Now().UTC().Format(amzDateFormat))
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req
	}
	iamList := url.Values{"Action": {"ListRoles"}, "Version": {"2010-05-08"}}
	unknown := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	tests := []struct {
		name       string
		req        *http.Request
		status     int
		code       string
		namespace  string
		msgContain string
	}{
		{name: "POST header auth", req: signedRequest(t, f.srv.URL, assumeParams(), op, sigOpts{}), status: 200},
		{name: "GET header auth", req: signedRequest(t, f.srv.URL, assumeParams(), op, sigOpts{method: "GET"}), status: 200},
		{name: "GET presigned", req: signedRequest(t, f.srv.URL, assumeParams(), op, sigOpts{method: "GET", presign: true}), status: 200},
		{name: "GET presigned IAM", req: signedRequest(t, f.srv.URL, iamList, op, sigOpts{method: "GET", presign: true, service: "iam"}), status: 200, namespace: iamNamespace},
		{name: "presigned past X-Amz-Expires", req: signedRequest(t, f.srv.URL, assumeParams(), op, sigOpts{method: "GET", presign: true, expires: 5, at: time.Now().Add(-10 * time.Second)}), status: 400, code: "RequestExpired"},
		{name: "unsigned GET", req: raw("GET", "/?"+assumeParams().Encode(), "", ""), status: 403, code: "MissingAuthenticationToken", msgContain: "Request is missing Authentication Token"},
		{name: "unsigned IAM POST", req: raw("POST", "/", "", iamList.Encode()), status: 403, code: "MissingAuthenticationToken", namespace: iamNamespace},
		{name: "Authorization without Signature", req: raw("POST", "/", "AWS4-HMAC-SHA256 Credential="+op.AccessKeyID+"/20261204/snow/sts/aws4_request, SignedHeaders=host", assumeParams().Encode()), status: 400, code: "IncompleteSignature", msgContain: "requires 'Signature'"},
		{name: "Authorization with a bad scope", req: raw("POST", "/", "AWS4-HMAC-SHA256 Credential=abc, SignedHeaders=host, Signature=00", assumeParams().Encode()), status: 400, code: "IncompleteSignature"},
		{name: "other algorithm", req: raw("POST", "/", "AWS AKIA:sig", assumeParams().Encode()), status: 400, code: "IncompleteSignature"},
		{name: "scope date not the request date", req: raw("POST", "/", "AWS4-HMAC-SHA256 Credential="+op.AccessKeyID+"/19990101/snow/sts/aws4_request, SignedHeaders=host, Signature=00", assumeParams().Encode()), status: 403, code: "SignatureDoesNotMatch", msgContain: "Date in Credential scope"},
		{name: "scope service not sts or iam", req: signedRequest(t, f.srv.URL, assumeParams(), op, sigOpts{service: "s3"}), status: 403, code: "SignatureDoesNotMatch", msgContain: "correct service"},
		{name: "unknown action", req: signedRequest(t, f.srv.URL, unknown, op, sigOpts{}), status: 400, code: "InvalidAction", msgContain: "Could not find operation GetCallerIdentity for version 2011-06-15"},
		{name: "IAM action signed for sts", req: signedRequest(t, f.srv.URL, iamList, op, sigOpts{}), status: 400, code: "InvalidAction"},
		{name: "stale date", req: signedRequest(t, f.srv.URL, assumeParams(), op, sigOpts{at: time.Now().Add(-20 * time.Minute)}), status: 400, code: "RequestExpired", msgContain: "Signature expired"},
		{name: "malformed query", req: raw("GET", "/?Action=%zz", "", ""), status: 400, code: "MalformedQueryString"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
				t.Errorf("Content-Type %q", ct)
			}
			date, err := http.ParseTime(resp.Header.Get("Date"))
			if err != nil || date.Sub(f.dev.Now()).Abs() > 2*time.Second {
				t.Errorf("Date %q is not the device clock %v", resp.Header.Get("Date"), f.dev.Now())
			}
			rid := resp.Header.Get("X-Amzn-Requestid")
			if len(rid) != 36 || !strings.Contains(string(body), "<RequestId>"+rid+"</RequestId>") {
				t.Errorf("x-amzn-RequestId %q not the body's", rid)
			}
			ns := tc.namespace
			if ns == "" {
				ns = stsNamespace
			}
			if !strings.Contains(string(body), `xmlns="`+ns+`"`) {
				t.Errorf("body lacks namespace %s:\n%s", ns, body)
			}
			if tc.code == "" {
				return
			}
			var doc errorDoc
			if err := xml.Unmarshal(body, &doc); err != nil {
				t.Fatalf("error body: %v\n%s", err, body)
			}
			if doc.Code != tc.code || doc.Type != "Sender" || !strings.Contains(doc.Message, tc.msgContain) || doc.RequestID != rid {
				t.Errorf("error %+v, want code %s and message with %q", doc, tc.code, tc.msgContain)
			}
		})
	}
}

func TestControlPath(t *testing.T) {
	f := newFixture(t, nil)
	post := func(path, body string) int {
		resp, err := http.Post(f.srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/_snowsts/faults", `{"throttle":2,"latency":"1ms","clock_skew":"-2m"}`); code != 204 {
		t.Fatalf("POST faults: %d", code)
	}
	if got := f.dev.Faults(); got.Throttle != 2 || time.Duration(got.ClockSkew) != -2*time.Minute || time.Duration(got.Latency) != time.Millisecond {
		t.Errorf("faults = %+v", got)
	}
	for _, bad := range []string{`{"throttle":-1}`, `{"nope":1}`, `{"latency":"soon"}`, `not json`} {
		if code := post("/_snowsts/faults", bad); code != 400 {
			t.Errorf("POST faults %s: %d, want 400", bad, code)
		}
	}
	do(t, signedRequest(t, f.srv.URL, assumeParams(), f.st.Users[0], sigOpts{}))
	resp, body := do(t, must(http.NewRequest("GET", f.srv.URL+"/_snowsts/calls", nil)))
	var c CallCounts
	if err := json.Unmarshal(body, &c); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET calls: %d %v %s", resp.StatusCode, err, body)
	}
	if c.Calls["AssumeRole"] != 1 || c.AssumeRoleIssued != 0 {
		t.Errorf("calls = %+v, want one throttled AssumeRole", c)
	}
	if f.dev.Faults().Throttle != 1 {
		t.Errorf("throttle counter %d, want 1 left", f.dev.Faults().Throttle)
	}
	_, body = do(t, must(http.NewRequest("GET", f.srv.URL+"/_snowsts/faults", nil)))
	if !strings.Contains(string(body), `"throttle":1`) || !strings.Contains(string(body), `"clock_skew":"-2m0s"`) {
		t.Errorf("GET faults = %s", body)
	}
	if code := post("/_snowsts/reset-calls", ""); code != 204 || f.dev.Calls(ActionAssumeRole) != 0 {
		t.Errorf("reset-calls: %d, calls %d", code, f.dev.Calls(ActionAssumeRole))
	}
	if code := post("/_snowsts/nothing", ""); code != 404 {
		t.Errorf("unknown control endpoint: %d, want 404", code)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
