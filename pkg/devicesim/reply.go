package devicesim

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// XML namespaces of the replies.
const (
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
)

// apiError is an error reply of STS or IAM.
type apiError struct {
	status int
	typ    string // Sender or Receiver
	code   string
	msg    string
}

func sender(status int, code, msg string) *apiError {
	return &apiError{status: status, typ: "Sender", code: code, msg: msg}
}

func errMissingAuth() *apiError {
	return sender(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
}
func errIncomplete(msg string) *apiError {
	return sender(http.StatusBadRequest, "IncompleteSignature", msg)
}
func errSignature(msg string) *apiError {
	return sender(http.StatusForbidden, "SignatureDoesNotMatch", msg)
}
func errInvalidToken() *apiError {
	return sender(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
}
func errExpiredToken() *apiError {
	return sender(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
}
func errRequestExpired(msg string) *apiError {
	return sender(http.StatusBadRequest, "RequestExpired", msg)
}
func errInvalidAction(action, version string) *apiError {
	if version == "" {
		version = "NO_VERSION_SPECIFIED"
	}
	return sender(http.StatusBadRequest, "InvalidAction", "Could not find operation "+clip(action)+" for version "+clip(version))
}
func errValidation(msg string) *apiError {
	return sender(http.StatusBadRequest, "ValidationError", msg)
}
func errAccessDenied(msg string) *apiError {
	return sender(http.StatusForbidden, "AccessDenied", msg)
}
func errNoSuchEntity(msg string) *apiError {
	return sender(http.StatusNotFound, "NoSuchEntity", msg)
}
func errMalformedQuery(err error) *apiError {
	return sender(http.StatusBadRequest, "MalformedQueryString", clip(err.Error()))
}
func errMalformedInput(msg string) *apiError {
	return sender(http.StatusBadRequest, "MalformedInput", msg)
}
func errThrottling() *apiError {
	return sender(http.StatusBadRequest, "Throttling", "Rate exceeded")
}
func errInternal() *apiError {
	return &apiError{status: http.StatusInternalServerError, typ: "Receiver", code: "InternalFailure", msg: "The request processing has failed because of an unknown error, exception or failure."}
}

// reply is a rendered reply, written by writeReply.
type reply struct {
	status int
	code   string // error code, "" on success
	body   []byte
}

type xmlErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

func namespace(service string) string {
	if service == "iam" {
		return iamNamespace
	}
	return stsNamespace
}

// errorReply renders e as the service's ErrorResponse document.
func errorReply(service string, e *apiError) reply {
	doc := xmlErrorResponse{Xmlns: namespace(service), Type: e.typ, Code: e.code, Message: e.msg, RequestID: newRequestID()}
	return reply{status: e.status, code: e.code, body: marshalXML(doc)}
}

// okReply renders a successful response document.
func okReply(v any) reply {
	return reply{status: http.StatusOK, body: marshalXML(v)}
}

func marshalXML(v any) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		// Only programming errors get here: all documents are fixed structs.
		panic(fmt.Sprintf("devicesim: marshal reply: %v", err))
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// requestIDOf extracts the RequestId of a rendered reply for the header.
func requestIDOf(body []byte) string {
	const open, end = "<RequestId>", "</RequestId>"
	i := bytes.LastIndex(body, []byte(open))
	if i < 0 {
		return newRequestID()
	}
	rest := body[i+len(open):]
	j := bytes.Index(rest, []byte(end))
	if j < 0 {
		return newRequestID()
	}
	return string(rest[:j])
}

// writeReply writes rep with the device's headers. With truncate, the full
// Content-Length is announced, half the body sent and the connection closed.
func writeReply(w http.ResponseWriter, rep reply, now time.Time, truncate bool) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", requestIDOf(rep.body))
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	w.WriteHeader(rep.status)
	if !truncate {
		_, _ = w.Write(rep.body)
		return
	}
	_, _ = w.Write(rep.body[:len(rep.body)/2])
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	dropConnection(w)
}

// dropConnection closes the client's connection without (more of) a reply.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 or a writer that cannot hijack: abort the stream instead.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// malformedBody is a 200 body that no XML parser accepts.
func malformedBody(action string) []byte {
	switch action {
	case ActionAssumeRole, ActionListRoles, ActionGetRole, ActionListUsers:
	default:
		action = ActionUnknown
	}
	return []byte(xml.Header + "<" + action + "Response xmlns=\"" + stsNamespace + "\"><" + action + "Result><Credentials><AccessKeyId>ASIA&&<</Result>\n")
}

// newRequestID returns a random UUID (version 4) for x-amzn-RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
