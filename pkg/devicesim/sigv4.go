package devicesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	sigAlgorithm  = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
	// signRegion is the only region the device signs for.
	signRegion = "snow"
	// maxSkew is how far a request's X-Amz-Date may be from the device clock.
	maxSkew = 15 * time.Minute
	// tempKeyPrefix starts the access key ids of temporary credentials.
	tempKeyPrefix = "ASIA"
)

// authInfo is the SigV4 auth a request carries.
type authInfo struct {
	presigned     bool
	akid          string
	scopeDate     string
	region        string
	service       string
	signedHeaders []string
	signature     string
	amzDate       time.Time
	expires       time.Duration // presigned only; 0 when absent
	token         string
}

// principal is who signed a request: a user, or temporary credentials.
type principal struct {
	user *User
	temp *tempCred
}

// parseAuth finds the SigV4 auth of r in its Authorization header or, failing
// that, its presigned query parameters. It returns nil, nil for an unsigned
// request.
func parseAuth(r *http.Request, query url.Values) (*authInfo, *apiError) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseAuthHeader(r, h)
	}
	if query.Get("X-Amz-Algorithm") != "" {
		return parsePresigned(query)
	}
	return nil, nil
}

func parseAuthHeader(r *http.Request, h string) (*authInfo, *apiError) {
	alg, rest, _ := strings.Cut(h, " ")
	if alg != sigAlgorithm {
		return nil, errIncomplete("Unsupported AWS 'algorithm': '" + clip(alg) + "'.")
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = v
		}
	}
	var missing []string
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			missing = append(missing, "Authorization header requires '"+k+"' parameter.")
		}
	}
	date := r.Header.Get("X-Amz-Date")
	if date == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, errIncomplete(strings.Join(missing, " ") + " Authorization=" + clip(h))
	}
	a := &authInfo{signature: fields["Signature"], token: r.Header.Get("X-Amz-Security-Token")}
	if e := a.setScope(fields["Credential"], fields["SignedHeaders"], date); e != nil {
		return nil, e
	}
	return a, nil
}

func parsePresigned(q url.Values) (*authInfo, *apiError) {
	if alg := q.Get("X-Amz-Algorithm"); alg != sigAlgorithm {
		return nil, errIncomplete("Unsupported AWS 'algorithm': '" + clip(alg) + "'.")
	}
	var missing []string
	for _, k := range []string{"X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date"} {
		if q.Get(k) == "" {
			missing = append(missing, "AWS query-string parameters must include '"+k+"'.")
		}
	}
	if len(missing) > 0 {
		return nil, errIncomplete(strings.Join(missing, " ") + " Re-examine the query-string parameters.")
	}
	a := &authInfo{presigned: true, signature: q.Get("X-Amz-Signature"), token: q.Get("X-Amz-Security-Token")}
	if e := a.setScope(q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Date")); e != nil {
		return nil, e
	}
	if s := q.Get("X-Amz-Expires"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 604800 {
			return nil, errIncomplete("X-Amz-Expires must be an integer between 1 and 604800.")
		}
		a.expires = time.Duration(n) * time.Second
	}
	return a, nil
}

// setScope parses the credential scope, the signed headers and the date.
func (a *authInfo) setScope(cred, signed, date string) *apiError {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || parts[4] != "aws4_request" {
		return errIncomplete("Credential should be of the form AKID/YYYYMMDD/region/service/aws4_request: '" + clip(cred) + "'.")
	}
	a.akid, a.scopeDate, a.region, a.service = parts[0], parts[1], parts[2], parts[3]
	a.signedHeaders = strings.Split(signed, ";")
	t, err := time.Parse(amzDateFormat, date)
	if err != nil {
		return errIncomplete("Date must be in ISO-8601 'basic format'. Got '" + clip(date) + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	a.amzDate = t
	return nil
}

// authenticate checks the SigV4 auth of req against the device's users and the
// temporary credentials it issued.
func (d *Device) authenticate(r *http.Request, req *request, now time.Time) (principal, *apiError) {
	if req.authErr != nil {
		return principal{}, req.authErr
	}
	a := req.auth
	if a == nil {
		return principal{}, errMissingAuth()
	}
	if want := a.amzDate.Format("20060102"); a.scopeDate != want {
		return principal{}, errSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + clip(a.scopeDate) + "' != '" + want + "', from '" + a.amzDate.Format(amzDateFormat) + "'.")
	}
	if a.region != signRegion {
		return principal{}, errSignature("Credential should be scoped to a valid region. ")
	}
	if a.service != "sts" && a.service != "iam" {
		return principal{}, errSignature("Credential should be scoped to correct service: '" + req.service + "'. ")
	}

	var p principal
	var secret string
	if u, ok := d.users[a.akid]; ok {
		if a.token != "" {
			return principal{}, errInvalidToken()
		}
		p.user, secret = u, u.SecretAccessKey
	} else {
		d.mu.Lock()
		t, ok := d.temps[a.akid]
		d.mu.Unlock()
		if !ok || subtle.ConstantTimeCompare([]byte(a.token), []byte(t.token)) != 1 {
			return principal{}, errInvalidToken()
		}
		if !now.Before(t.expires) {
			return principal{}, errExpiredToken()
		}
		p.temp, secret = t, t.secret
	}

	if e := checkTime(a, now); e != nil {
		return principal{}, e
	}
	if !d.signatureMatches(r, req, secret) {
		return principal{}, errSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return p, nil
}

// checkTime refuses a request signed more than 15 minutes away from the device
// clock, or a presigned request past its X-Amz-Expires.
func checkTime(a *authInfo, now time.Time) *apiError {
	now = now.UTC()
	f := func(t time.Time) string { return t.UTC().Format(amzDateFormat) }
	switch {
	case a.presigned && a.expires > 0 && now.After(a.amzDate.Add(a.expires)):
		return errRequestExpired("Request has expired. X-Amz-Date " + f(a.amzDate) + " + X-Amz-Expires " + strconv.Itoa(int(a.expires/time.Second)) + " is earlier than " + f(now) + ".")
	case !(a.presigned && a.expires > 0) && a.amzDate.Before(now.Add(-maxSkew)):
		return errRequestExpired("Signature expired: " + f(a.amzDate) + " is now earlier than " + f(now.Add(-maxSkew)) + " (" + f(now) + " - 15 min.)")
	case a.amzDate.After(now.Add(maxSkew)):
		return errRequestExpired("Signature not yet current: " + f(a.amzDate) + " is still later than " + f(now.Add(maxSkew)) + " (" + f(now) + " + 15 min.)")
	}
	return nil
}

// signatureMatches recomputes the request's signature with the SDK's signer over
// a clone of r that carries only the headers the client signed, the same body
// hash and the same X-Amz-Date, and compares it in constant time.
func (d *Device) signatureMatches(r *http.Request, req *request, secret string) bool {
	a := req.auth
	sum := sha256.Sum256(req.body)
	payloadHash := hex.EncodeToString(sum[:])
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	clone := &http.Request{
		Method: r.Method,
		URL:    &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:   r.Host,
		Header: http.Header{},
	}
	for _, h := range a.signedHeaders {
		switch h = strings.ToLower(h); h {
		case "host":
		case "content-length":
			clone.ContentLength = int64(len(req.body))
		default:
			clone.Header[textproto.CanonicalMIMEHeaderKey(h)] = r.Header.Values(h)
		}
	}
	creds := aws.Credentials{AccessKeyID: a.akid, SecretAccessKey: secret}
	var got string
	if a.presigned {
		q := r.URL.Query()
		q.Del("X-Amz-Signature")
		clone.URL.RawQuery = q.Encode()
		signed, _, err := d.signer.PresignHTTP(ctxOf(r), creds, clone, payloadHash, a.service, a.region, a.amzDate,
			func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
		if err != nil {
			return false
		}
		u, err := url.Parse(signed)
		if err != nil {
			return false
		}
		got = u.Query().Get("X-Amz-Signature")
	} else {
		if err := d.signer.SignHTTP(ctxOf(r), creds, clone, payloadHash, a.service, a.region, a.amzDate); err != nil {
			return false
		}
		_, got, _ = strings.Cut(clone.Header.Get("Authorization"), "Signature=")
	}
	return got != "" && hmac.Equal([]byte(got), []byte(a.signature))
}

// clip shortens client-supplied text quoted back in an error message.
func clip(s string) string {
	const n = 200
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
