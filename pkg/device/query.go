package device

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// maxReply bounds what snowsts reads of a device reply.
const maxReply = 8 << 20

// query makes one AWS Query-protocol call (a form POST signed with SigV4 by the
// SDK's own signer, with the SDK's credentials and HTTP client) and decodes the
// XML reply into out. It is how snowsts calls the device's STS and IAM: the
// device answers one STS and one IAM operation, and the SDK's generated STS
// and IAM clients (their endpoint rules, schemas and middleware) would add
// about a millisecond of package initialisation and page faults to every run
// of credential-process, whose warm path never calls the device at all.
// TestQueryAgreesWithTheSDK holds the two to the same results.
//
// Retries are the SDK's standard retryer's: its list of retryable errors
// (throttling, 5xx replies, broken and refused connections, timeouts), its
// exponential backoff with jitter (at most 2 s here) and c.attempts attempts
// in all. Like the SDK's clock-skew handling it also signs again in the
// device's time when the device refuses a request as signed too far from its
// clock. Its errors have the SDK's shapes (smithy.APIError inside
// awshttp.ResponseError, smithy.DeserializationError), so Classify reads them
// as it would the SDK's.
func (c *Client) query(ctx context.Context, service, endpoint string, form url.Values, out any) (reply, error) {
	body := form.Encode()
	sum := sha256.Sum256([]byte(body))
	payloadHash := hex.EncodeToString(sum[:])
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return reply{}, err
	}
	signer := v4.NewSigner()
	retryer := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = c.attempts
		o.MaxBackoff = 2 * time.Second
		o.RateLimiter = ratelimit.None // one call, not a long-lived client's budget
	})
	var skew time.Duration
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/", strings.NewReader(body))
		if err != nil {
			return reply{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if err := signer.SignHTTP(ctx, creds, req, payloadHash, service, Region, time.Now().Add(skew)); err != nil {
			return reply{}, err
		}
		r, err := c.send(req, out)
		if err == nil || attempt >= c.attempts || ctx.Err() != nil {
			return r, err
		}
		if d, ok := r.skew(); ok && isSkewRefusal(err) && (d > 4*time.Minute || d < -4*time.Minute) {
			skew = d // sign again at once, in the device's time
			continue
		}
		if !retryer.IsErrorRetryable(err) {
			return r, err
		}
		delay, derr := retryer.RetryDelay(attempt, err)
		if derr != nil {
			return r, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return r, err
		case <-t.C:
		}
	}
}

// send makes one attempt and decodes a success reply into out. A request
// that could not be sent is a smithyhttp.RequestSendError, as in the SDK's
// own client: a connection error, retryable.
func (c *Client) send(req *http.Request, out any) (reply, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, &smithyhttp.RequestSendError{Err: err}
	}
	r := reply{date: resp.Header.Get("Date"), at: time.Now()}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	resp.Body.Close()
	if err != nil {
		return r, err
	}
	if resp.StatusCode < 300 {
		if err := xml.Unmarshal(data, out); err != nil {
			return r, &smithy.DeserializationError{Err: err}
		}
		return r, nil
	}
	rerr := &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: resp}, Err: &smithy.DeserializationError{Err: errors.New("error reply is not an AWS error document")}}}
	if apiErr := decodeError(data); apiErr != nil {
		rerr.Err = apiErr
	}
	return r, rerr
}

// isSkewRefusal reports whether err is the device refusing a request as
// signed too far from its clock.
func isSkewRefusal(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && skewCodes[apiErr.ErrorCode()]
}

// reply is what query keeps of the device's last reply.
type reply struct {
	date string    // its Date header
	at   time.Time // when it arrived, on this machine's clock
}

// skew is the device clock minus this machine's at the reply, from its Date
// header (whole seconds, so within about a second); ok is false without one.
func (r reply) skew() (time.Duration, bool) {
	t, err := http.ParseTime(r.date)
	if err != nil || r.at.IsZero() {
		return 0, false
	}
	return t.Sub(r.at), true
}

// decodeError reads an AWS Query error document; nil when data is not one.
// Like the SDK's Query protocol it reads the first element named Error, at any
// depth and in any case, so <ErrorResponse><Error>, <Response><Errors><Error>
// (as EC2 and moto send) and a bare <Error> all work.
func decodeError(data []byte) *smithy.GenericAPIError {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		start, ok := tok.(xml.StartElement)
		if !ok || !strings.EqualFold(start.Name.Local, "Error") {
			continue
		}
		var e struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
			Type    string `xml:"Type"`
		}
		if err := dec.DecodeElement(&e, &start); err != nil || e.Code == "" {
			return nil
		}
		fault := smithy.FaultClient
		if e.Type == "Receiver" {
			fault = smithy.FaultServer
		}
		return &smithy.GenericAPIError{Code: e.Code, Message: e.Message, Fault: fault}
	}
}

// listRolesResponse is IAM's ListRoles reply.
type listRolesResponse struct {
	Result struct {
		Roles []struct {
			RoleName           string `xml:"RoleName"`
			Arn                string `xml:"Arn"`
			Path               string `xml:"Path"`
			MaxSessionDuration int32  `xml:"MaxSessionDuration"`
			CreateDate         string `xml:"CreateDate"`
		} `xml:"Roles>member"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker"`
	} `xml:"ListRolesResult"`
}

// assumeRoleResponse is STS's AssumeRole reply.
type assumeRoleResponse struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	Result  struct {
		Credentials *struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
			expiration      time.Time
		} `xml:"Credentials"`
		AssumedRoleUser struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
	} `xml:"AssumeRoleResult"`
}

// check reads the expiry of a decoded reply and refuses one without
// credentials or with an expiry that is not a timestamp (exit 5).
func (a *assumeRoleResponse) check() error {
	c := a.Result.Credentials
	if c == nil {
		return exitcode.New(exitcode.Unreachable, errors.New("the device's AssumeRole reply has no Credentials"), hintNonsense)
	}
	if strings.TrimSpace(c.Expiration) == "" {
		return nil // ValidateCredentials says what is missing
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(c.Expiration))
	if err != nil {
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("the device's AssumeRole reply has an Expiration that is not a time: %q", clean(c.Expiration, 40)), hintNonsense)
	}
	c.expiration = t
	return nil
}
