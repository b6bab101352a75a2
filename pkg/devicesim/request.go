package devicesim

import (
	"mime"
	"net/http"
	"net/url"
)

// API versions of the query protocol.
const (
	stsVersion = "2011-06-15"
	iamVersion = "2010-05-08"
)

// request is an STS/IAM request as the device understood it.
type request struct {
	params  url.Values
	action  string
	service string // "sts" or "iam": from the credential scope, else from Version
	body    []byte
	auth    *authInfo // nil when the request carries no SigV4 auth
	authErr *apiError // malformed SigV4 auth
	err     *apiError // the request could not be read
}

// parseRequest reads the query-protocol parameters (query string, and the body
// of a form POST) and the SigV4 auth of r. It never fails: problems are kept in
// the request for the handler to answer.
func parseRequest(r *http.Request, body []byte, readErr error) *request {
	req := &request{body: body, params: url.Values{}}
	query, qerr := url.ParseQuery(r.URL.RawQuery)
	for k, v := range query {
		req.params[k] = v
	}
	switch {
	case readErr != nil:
		req.err = errMalformedInput("could not read the request body")
	case len(body) > maxBody:
		req.err = errMalformedInput("the request body is too large")
	case qerr != nil:
		req.err = errMalformedQuery(qerr)
	}
	if r.Method == http.MethodPost && len(body) > 0 && req.err == nil {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct == "application/x-www-form-urlencoded" || ct == "" {
			form, err := url.ParseQuery(string(body))
			if err != nil {
				req.err = errMalformedQuery(err)
			}
			for k, v := range form {
				req.params[k] = v // the body wins over the query string
			}
		}
	}
	req.action = req.params.Get("Action")
	req.auth, req.authErr = parseAuth(r, query)
	req.service = "sts"
	if req.auth != nil && (req.auth.service == "iam" || req.auth.service == "sts") {
		req.service = req.auth.service
	} else if req.params.Get("Version") == iamVersion {
		req.service = "iam"
	}
	return req
}
