package devicesim

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"
)

type xmlRole struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
}

type xmlUser struct {
	Path       string `xml:"Path"`
	UserName   string `xml:"UserName"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

type listRolesResponse struct {
	XMLName  struct{}         `xml:"ListRolesResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	Result   listRolesResult  `xml:"ListRolesResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type listRolesResult struct {
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
	Roles       []xmlRole `xml:"Roles>member"`
}

type getRoleResponse struct {
	XMLName  struct{}         `xml:"GetRoleResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	Role     xmlRole          `xml:"GetRoleResult>Role"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type listUsersResponse struct {
	XMLName  struct{}         `xml:"ListUsersResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	Result   listUsersResult  `xml:"ListUsersResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type listUsersResult struct {
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
	Users       []xmlUser `xml:"Users>member"`
}

// trustPolicy is the AssumeRolePolicyDocument every simulated role reports
// (URL-encoded, as IAM sends it).
func (d *Device) trustPolicy() string {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		d.st.AccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	return url.QueryEscape(doc)
}

func (d *Device) xmlRole(r *Role) xmlRole {
	return xmlRole{
		Path: r.Path, RoleName: r.Name, RoleID: d.roleIDs[r.Name], Arn: r.ARN(d.st.AccountID),
		CreateDate: d.born.Format(time.RFC3339), AssumeRolePolicyDocument: d.trustPolicy(),
		MaxSessionDuration: r.MaxSessionDuration,
	}
}

// page selects the part of n items (already filtered) that Marker and MaxItems
// ask for. The marker is an opaque encoding of the next index.
func page(params url.Values, n int) (from, to int, next string, e *apiError) {
	max := 100
	if params.Has("MaxItems") {
		s := params.Get("MaxItems")
		v, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return 0, 0, "", errValidation("Value '" + clip(s) + "' for parameter MaxItems is invalid. Must be an integer.")
		case v < 1:
			return 0, 0, "", errValidation("1 validation error detected: Value '" + s + "' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
		case v > 1000:
			return 0, 0, "", errValidation("1 validation error detected: Value '" + s + "' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
		}
		max = v
	}
	if m := params.Get("Marker"); m != "" {
		raw, err := base64.RawURLEncoding.DecodeString(m)
		idx, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "next:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(raw), "next:") || idx < 0 || idx > n {
			return 0, 0, "", errValidation("Invalid Marker.")
		}
		from = idx
	}
	to = min(from+max, n)
	if to < n {
		next = base64.RawURLEncoding.EncodeToString([]byte("next:" + strconv.Itoa(to)))
	}
	return from, to, next, nil
}

func pathPrefix(params url.Values) string {
	if p := params.Get("PathPrefix"); p != "" {
		return p
	}
	return "/"
}

// listRoles serves IAM ListRoles (PathPrefix, Marker, MaxItems).
func (d *Device) listRoles(params url.Values) reply {
	prefix := pathPrefix(params)
	var roles []*Role
	for i := range d.st.Roles {
		if strings.HasPrefix(d.st.Roles[i].Path, prefix) {
			roles = append(roles, &d.st.Roles[i])
		}
	}
	from, to, next, e := page(params, len(roles))
	if e != nil {
		return errorReply("iam", e)
	}
	res := listRolesResult{IsTruncated: next != "", Marker: next, Roles: []xmlRole{}}
	for _, r := range roles[from:to] {
		res.Roles = append(res.Roles, d.xmlRole(r))
	}
	return okReply(listRolesResponse{Xmlns: iamNamespace, Result: res, Metadata: responseMetadata{RequestID: newRequestID()}})
}

// getRole serves IAM GetRole.
func (d *Device) getRole(params url.Values) reply {
	if !params.Has("RoleName") {
		return errorReply("iam", errValidation("1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"))
	}
	name := params.Get("RoleName")
	r, ok := d.byName[name]
	if !ok {
		return errorReply("iam", errNoSuchEntity("The role with name "+clip(name)+" cannot be found."))
	}
	return okReply(getRoleResponse{Xmlns: iamNamespace, Role: d.xmlRole(r), Metadata: responseMetadata{RequestID: newRequestID()}})
}

// listUsers serves IAM ListUsers (PathPrefix, Marker, MaxItems); every user's
// path is "/".
func (d *Device) listUsers(params url.Values) reply {
	n := 0
	if strings.HasPrefix("/", pathPrefix(params)) {
		n = len(d.st.Users)
	}
	from, to, next, e := page(params, n)
	if e != nil {
		return errorReply("iam", e)
	}
	res := listUsersResult{IsTruncated: next != "", Marker: next, Users: []xmlUser{}}
	for _, u := range d.st.Users[from:to] {
		res.Users = append(res.Users, xmlUser{
			Path: "/", UserName: u.Name, UserID: stableID("AIDA", d.st.AccountID+"/user/"+u.Name),
			Arn: "arn:aws:iam::" + d.st.AccountID + ":user/" + u.Name, CreateDate: d.born.Format(time.RFC3339),
		})
	}
	return okReply(listUsersResponse{Xmlns: iamNamespace, Result: res, Metadata: responseMetadata{RequestID: newRequestID()}})
}
