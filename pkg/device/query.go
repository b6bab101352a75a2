package device

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// maxReply bounds what snowsts reads of a device reply.
const maxReply = 8 << 20

// query makes one AWS Query-protocol call (a form POST signed with SigV4 by the
// SDK's own signer) and decodes the XML reply into out. It is how snowsts calls
// the device's IAM: the SDK's generated IAM client would add half a
// millisecond of package initialisation to every run of credential-process
// for the one operation snowsts needs. Like the SDK it retries throttling,
// 5xx replies and broken connections, and signs again in the device's time
// when the device refuses a request as signed too far from its clock. Its
// errors have the SDK's shapes (smithy.APIError inside awshttp.ResponseError,
// smithy.DeserializationError), so Classify treats both paths alike.
func (c *Client) query(ctx context.Context, service, endpoint string, form url.Values, out any) error {
	body := form.Encode()
	sum := sha256.Sum256([]byte(body))
	payloadHash := hex.EncodeToString(sum[:])
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	signer := v4.NewSigner()
	var skew time.Duration
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if err := signer.SignHTTP(ctx, creds, req, payloadHash, service, Region, time.Now().Add(skew)); err != nil {
			return err
		}
		resp, err := c.cfg.HTTPClient.Do(req)
		if err != nil {
			if ctx.Err() == nil && attempt < c.attempts {
				c.backoff(ctx, attempt)
				continue
			}
			return err
		}
		data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxReply))
		resp.Body.Close()
		if rerr != nil {
			if ctx.Err() == nil && attempt < c.attempts {
				c.backoff(ctx, attempt)
				continue
			}
			return rerr
		}
		if resp.StatusCode < 300 {
			if err := xml.Unmarshal(data, out); err != nil {
				return &smithy.DeserializationError{Err: err}
			}
			return nil
		}
		apiErr := decodeError(data)
		rerrWrapped := &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: resp}, Err: apiErr}}
		if apiErr == nil {
			rerrWrapped.Err = &smithy.DeserializationError{Err: errors.New("error reply is not an AWS error document")}
		}
		if attempt >= c.attempts || ctx.Err() != nil {
			return rerrWrapped
		}
		code := ""
		if apiErr != nil {
			code = apiErr.Code
		}
		switch {
		case skewCodes[code]:
			t, perr := http.ParseTime(resp.Header.Get("Date"))
			if perr != nil {
				return rerrWrapped
			}
			d := time.Until(t)
			if d < 4*time.Minute && d > -4*time.Minute {
				return rerrWrapped
			}
			skew = d
		case throttleCodes[code] || resp.StatusCode >= 500:
			c.backoff(ctx, attempt)
		default:
			return rerrWrapped
		}
	}
}

// backoff waits before attempt+1: exponential with full jitter, at most 2 s.
func (c *Client) backoff(ctx context.Context, attempt int) {
	d := min(100*time.Millisecond<<attempt, 2*time.Second)
	t := time.NewTimer(rand.N(d) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// decodeError reads an AWS Query error document; nil when data is not one.
func decodeError(data []byte) *smithy.GenericAPIError {
	var doc struct {
		Error struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
			Type    string `xml:"Type"`
		} `xml:"Error"`
	}
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil || doc.Error.Code == "" {
		return nil
	}
	fault := smithy.FaultClient
	if doc.Error.Type == "Receiver" {
		fault = smithy.FaultServer
	}
	return &smithy.GenericAPIError{Code: doc.Error.Code, Message: doc.Error.Message, Fault: fault}
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
