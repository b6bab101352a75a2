package device

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

const hintNonsense = "the endpoint did not answer like a Snowball Edge; check the profile's endpoint_url with `snowsts doctor`"

// throttleCodes are the error codes AWS services use for throttling.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "RequestLimitExceeded": true,
	"TooManyRequestsException": true, "SlowDown": true, "RequestThrottled": true,
}

// Classify turns an SDK error from a call to service on p's device into an
// error with the contract's exit code (4 refused, 5 unreachable or nonsense,
// 130 interrupted) and one hint. The message is one line: the device's error
// code and message, or what went wrong on the network.
func Classify(err error, p *Profile, service string) error {
	if err == nil {
		return nil
	}
	endpoint := p.Endpoints[service]
	where := fmt.Sprintf("the device's %s endpoint %s", strings.ToUpper(service), endpoint)

	if errors.Is(err, context.Canceled) {
		return exitcode.New(exitcode.Interrupted, errors.New("interrupted"), "")
	}

	var status int
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() != "" && apiErr.ErrorCode() != "UnknownError" {
		code, msg := clean(apiErr.ErrorCode(), 64), clean(apiErr.ErrorMessage(), 300)
		line := fmt.Sprintf("%s refused the request: %s: %s", where, code, msg)
		if msg == "" {
			line = fmt.Sprintf("%s refused the request: %s", where, code)
		}
		if throttleCodes[code] || status >= 500 {
			return exitcode.New(exitcode.Unreachable, errors.New(strings.Replace(line, "refused the request", "kept failing", 1)),
				"the device is busy or failing; wait a minute and retry, or check it with `snowballEdge describe-device`")
		}
		return exitcode.New(exitcode.Refused, errors.New(line), refusalHint(code, p))
	}
	if status >= 500 {
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s kept failing with HTTP %d", where, status),
			"the device is busy or failing; wait a minute and retry, or check it with `snowballEdge describe-device`")
	}

	var deser *smithy.DeserializationError
	if errors.As(err, &deser) || status != 0 {
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s sent a reply that is not an AWS %s reply (HTTP %d)", where, strings.ToUpper(service), status), hintNonsense)
	}

	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(err, &hostErr):
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s: TLS: the device certificate is not valid for %s", where, host(endpoint)),
			"the device was probably unlocked with another IP: get its new certificate with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE`")
	case errors.As(err, &unknownCA):
		hint := "the device certificate is not trusted: get it with `snowballEdge get-certificate` and run `snowsts configure --ca-bundle FILE` (ca_bundle)"
		if p.CABundle != "" {
			hint = fmt.Sprintf("the certificate in ca_bundle %s does not match the device's (a device unlocked again, e.g. with a new IP, makes a new one): get the current one with `snowballEdge get-certificate`", p.CABundle)
		}
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s: TLS: certificate signed by an unknown authority", where), hint)
	case errors.As(err, &invalid), errors.As(err, &verify):
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s: TLS: the device certificate is not valid (%s)", where, clean(tlsReason(err), 200)),
			"check the device certificate with `snowballEdge get-certificate` and this machine's clock")
	case errors.As(err, &recordErr):
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s: TLS handshake failed: the port does not speak HTTPS", where),
			"use http:// for ports 7078/6078/8080/8008 and https:// for 7089/6089/8443/8243 (`snowsts configure --https`)")
	}

	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s did not answer in time", where),
			"is the device on and reachable at that address? check the network, or raise --timeout; `snowsts doctor` checks each port")
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s refused the connection", where),
			"is the device unlocked (`snowballEdge unlock-device`) and is the port open? `snowsts doctor` checks each port")
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s: cannot resolve host %q", where, clean(dnsErr.Name, 100)),
			"use the device's IP address: `snowsts configure --device IP`")
	}
	var opErr *net.OpError
	var urlErr *url.Error
	if errors.As(err, &opErr) || errors.As(err, &urlErr) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || strings.Contains(err.Error(), "EOF") {
		return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s: connection failed: %s", where, clean(rootCause(err), 200)),
			"the device dropped the connection; is it unlocked and is this the right port? `snowsts doctor` checks each port")
	}
	return exitcode.New(exitcode.Unreachable, fmt.Errorf("%s: %s", where, clean(rootCause(err), 300)), hintNonsense)
}

func refusalHint(code string, p *Profile) string {
	switch code {
	case "InvalidClientTokenId", "UnrecognizedClientException":
		return fmt.Sprintf("the device does not know access key %s of profile %q: check `snowballEdge list-access-keys` and run `snowsts configure`", Mask(p.AccessKeyID), p.Name)
	case "SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken", "InvalidSignatureException":
		return fmt.Sprintf("the secret access key of profile %q does not match: get it with `snowballEdge get-secret-access-key` and run `snowsts configure`", p.Name)
	case "RequestExpired", "RequestTimeTooSkewed", "SignatureExpired":
		return "this machine's clock and the device's differ by more than 15 minutes: set the clock (`date -u`), then retry; `snowsts doctor` measures the skew"
	case "ExpiredToken", "ExpiredTokenException":
		return "the credentials used have expired: assume the role again"
	case "AccessDenied", "AccessDeniedException":
		return fmt.Sprintf("the device user of profile %q may not assume this role: check the role name with `snowsts roles` and the role's trust policy", p.Name)
	case "ValidationError", "InvalidParameterValue", "MissingParameter":
		return "check --role-arn, --role-session-name and --duration-seconds (at most the role's MaxSessionDuration, see `snowsts roles`)"
	case "NoSuchEntity":
		return "no such role on the device: `snowsts roles` lists them"
	}
	return ""
}

// clean makes device-supplied text safe for one terminal line: control
// characters become spaces and the text is clipped to max bytes.
func clean(s string, max int) string {
	b := []rune{}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		b = append(b, r)
	}
	out := strings.Join(strings.Fields(string(b)), " ")
	if len(out) > max {
		out = out[:max] + "…"
	}
	return out
}

func host(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		return u.Hostname()
	}
	return endpoint
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// rootCause is the innermost error's text, without the SDK's long wrapping.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func tlsReason(err error) string {
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		return invalid.Error()
	}
	return rootCause(err)
}
