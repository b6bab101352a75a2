package devicesim

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzParseRequest sends arbitrary methods, query strings, bodies and
// Authorization headers to the handler: it must never panic and must always
// answer with an XML document (an error, or a response when the fuzzer finds a
// request the device accepts, which it cannot without the secret).
func FuzzParseRequest(f *testing.F) {
	f.Add("POST", "", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fadmin&RoleSessionName=s", "AWS4-HMAC-SHA256 Credential=AKIAOPERATOR00000001/20261204/snow/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=abcd", "application/x-www-form-urlencoded; charset=utf-8")
	f.Add("GET", "Action=ListRoles&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAOPERATOR00000001%2F20261204%2Fsnow%2Fiam%2Faws4_request&X-Amz-Date=20261204T160000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=60", "", "", "")
	f.Add("POST", "%zz", "a=%", "AWS4-HMAC-SHA256", "text/plain")
	f.Add("PUT", "Action=GetRole", "\x00\xff<>&", "AWS4-HMAC-SHA256 Credential=ASIA/x/snow/iam/aws4_request,SignedHeaders=,Signature=", "multipart/form-data")
	st := testState()
	now := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	dev, err := New(st, WithClock(func() time.Time { return now }))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, query, body, auth, contentType string) {
		if !validMethod(method) {
			method = "POST"
		}
		req := httptest.NewRequest(method, "/", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("X-Amz-Date", "20261204T160000Z")
		if auth != "" {
			req.Header["Authorization"] = []string{auth}
		}
		req.Header["Content-Type"] = []string{contentType}
		rec := httptest.NewRecorder()
		dev.ServeHTTP(rec, req)
		if ct := rec.Header().Get("Content-Type"); ct != "text/xml" {
			t.Fatalf("Content-Type %q", ct)
		}
		var doc struct {
			XMLName xml.Name
			Code    string `xml:"Error>Code"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("reply is not XML: %v\n%s", err, rec.Body.Bytes())
		}
		if rec.Code != http.StatusOK && (doc.XMLName.Local != "ErrorResponse" || doc.Code == "") {
			t.Fatalf("status %d with %s", rec.Code, rec.Body.Bytes())
		}
		if strings.Contains(rec.Body.String(), st.Users[0].SecretAccessKey) {
			t.Fatal("reply reveals a secret")
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
