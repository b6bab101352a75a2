package devicesim

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var sessionNameRE = lazyRegexp(`^[\w+=,.@-]*$`)

type assumeRoleResponse struct {
	XMLName  struct{}         `xml:"AssumeRoleResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	Result   assumeRoleResult `xml:"AssumeRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type assumeRoleResult struct {
	Credentials     xmlCredentials  `xml:"Credentials"`
	AssumedRoleUser xmlAssumedRoleU `xml:"AssumedRoleUser"`
}

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type xmlAssumedRoleU struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

// validateAssumeRole checks the parameters the way STS's input validation
// does, collecting every violation into one ValidationError.
func validateAssumeRole(params url.Values) (arn, session string, duration int, e *apiError) {
	var errs []string
	bad := func(value *string, member, constraint string) {
		v := "null"
		if value != nil {
			v = "'" + clip(*value) + "'"
		}
		errs = append(errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", v, member, constraint))
	}
	arn, session = params.Get("RoleArn"), params.Get("RoleSessionName")
	switch {
	case !params.Has("RoleArn"):
		bad(nil, "roleArn", "not be null")
	case len(arn) < 20:
		bad(&arn, "roleArn", "have length greater than or equal to 20")
	case len(arn) > 2048:
		bad(&arn, "roleArn", "have length less than or equal to 2048")
	}
	switch {
	case !params.Has("RoleSessionName"):
		bad(nil, "roleSessionName", "not be null")
	case len(session) < 2:
		bad(&session, "roleSessionName", "have length greater than or equal to 2")
	case len(session) > 64:
		bad(&session, "roleSessionName", "have length less than or equal to 64")
	case !sessionNameRE.MatchString(session):
		bad(&session, "roleSessionName", `satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	duration = DefaultMaxSessionDuration
	if params.Has("DurationSeconds") {
		s := params.Get("DurationSeconds")
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return "", "", 0, errValidation("Value '" + clip(s) + "' for parameter DurationSeconds is invalid. Must be an integer.")
		case n < MinSessionDuration:
			bad(&s, "durationSeconds", "have value greater than or equal to 900")
		case n > MaxSessionDuration:
			bad(&s, "durationSeconds", "have value less than or equal to 43200")
		}
		duration = n
	}
	if len(errs) > 0 {
		noun := "error"
		if len(errs) > 1 {
			noun = "errors"
		}
		return "", "", 0, errValidation(fmt.Sprintf("%d validation %s detected: %s", len(errs), noun, strings.Join(errs, "; ")))
	}
	return arn, session, duration, nil
}

// lookupRole finds the role an ARN names. Besides the exact ARN it accepts one
// with an empty account field, as the device's documentation shows.
func (d *Device) lookupRole(arn string) (*Role, bool, *apiError) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return nil, false, errValidation("Request ARN is invalid")
	}
	if r, ok := d.roles[arn]; ok {
		return r, true, nil
	}
	if parts[1] == "aws" && parts[2] == "iam" && parts[4] == "" {
		if r, ok := d.roles[strings.Join([]string{"arn", "aws", "iam", "", d.st.AccountID, parts[5]}, ":")]; ok {
			return r, true, nil
		}
	}
	return nil, false, nil
}

// assumeRole serves STS AssumeRole for p.
func (d *Device) assumeRole(p principal, params url.Values, now time.Time) reply {
	arn, session, duration, e := validateAssumeRole(params)
	if e != nil {
		return errorReply("sts", e)
	}
	role, found, e := d.lookupRole(arn)
	if e != nil {
		return errorReply("sts", e)
	}
	caller := ""
	if p.user != nil {
		caller = "arn:aws:iam::" + d.st.AccountID + ":user/" + p.user.Name
	} else {
		caller = "arn:aws:sts::" + d.st.AccountID + ":assumed-role/" + p.temp.role.Name + "/" + p.temp.session
	}
	if !found || p.user == nil || !p.user.MayAssume(role.Name) {
		return errorReply("sts", errAccessDenied("User: "+caller+" is not authorized to perform: sts:AssumeRole on resource: "+clip(arn)))
	}
	if duration > role.MaxSessionDuration {
		return errorReply("sts", errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."))
	}
	t, akid, err := newTempCred()
	if err != nil {
		return errorReply("sts", errInternal())
	}
	d.mu.Lock()
	hostile := d.faults.HostileCredentials
	d.mu.Unlock()
	if hostile != "" {
		t.secret, t.token = plant(t.secret, hostile), plant(t.token, hostile)
	}
	t.user, t.role, t.session = p.user.Name, role, session
	t.expires = now.UTC().Truncate(time.Second).Add(time.Duration(duration) * time.Second)
	d.mu.Lock()
	d.temps[akid] = t
	d.issued++
	d.mu.Unlock()

	return okReply(assumeRoleResponse{
		Xmlns: stsNamespace,
		Result: assumeRoleResult{
			Credentials: xmlCredentials{
				AccessKeyID: akid, SecretAccessKey: t.secret, SessionToken: t.token,
				Expiration: t.expires.Format(time.RFC3339),
			},
			AssumedRoleUser: xmlAssumedRoleU{
				AssumedRoleID: d.roleIDs[role.Name] + ":" + session,
				Arn:           "arn:aws:sts::" + d.st.AccountID + ":assumed-role/" + role.Name + "/" + session,
			},
		},
		Metadata: responseMetadata{RequestID: newRequestID()},
	})
}

// newTempCred makes fresh temporary keys: an ASIA access key id, a 40-character
// secret and a long base64 session token.
func newTempCred() (*tempCred, string, error) {
	akid, err := randomKey(tempKeyPrefix, 16)
	if err != nil {
		return nil, "", err
	}
	secret, err := randomSecret()
	if err != nil {
		return nil, "", err
	}
	tok := make([]byte, 300)
	if _, err := rand.Read(tok); err != nil {
		return nil, "", fmt.Errorf("random session token: %w", err)
	}
	return &tempCred{secret: secret, token: base64.StdEncoding.EncodeToString(tok)}, akid, nil
}

// plant puts s in the middle of v.
func plant(v, s string) string {
	return v[:len(v)/2] + s + v[len(v)/2:]
}
