package devicesim

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestAssumeRoleSDK(t *testing.T) {
	f := newFixture(t, nil)
	before := f.dev.Now()
	out, err := f.sts(sdkConfig("snow", f.operator())).AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/ops/auditor"),
		RoleSessionName: aws.String("alice@example.com"),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || len(*c.AccessKeyId) != 20 {
		t.Errorf("AccessKeyId = %q, want ASIA + 16", *c.AccessKeyId)
	}
	if len(*c.SecretAccessKey) != 40 || len(*c.SessionToken) < 200 {
		t.Errorf("secret length %d, token length %d", len(*c.SecretAccessKey), len(*c.SessionToken))
	}
	if d := c.Expiration.Sub(before); d < 899*time.Second || d > 901*time.Second {
		t.Errorf("Expiration %v is %v after the request, want 900s", c.Expiration, d)
	}
	if got, want := *out.AssumedRoleUser.Arn, "arn:aws:sts::123456789012:assumed-role/auditor/alice@example.com"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
	}
	if id := *out.AssumedRoleUser.AssumedRoleId; !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":alice@example.com") {
		t.Errorf("AssumedRoleId = %q", id)
	}
	if n := f.dev.Calls(ActionAssumeRole); n != 1 {
		t.Errorf("Calls(AssumeRole) = %d, want 1", n)
	}
	if n := f.dev.AssumeRoleIssued(); n != 1 {
		t.Errorf("AssumeRoleIssued = %d, want 1", n)
	}

	// The temporary credentials work for IAM, and expire.
	temp := static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	roles, err := f.iam(sdkConfig("snow", temp)).ListRoles(ctx(t), &iam.ListRolesInput{})
	if err != nil {
		t.Fatalf("ListRoles with temporary credentials: %v", err)
	}
	if len(roles.Roles) != 3 {
		t.Errorf("ListRoles: %d roles, want 3", len(roles.Roles))
	}
	f.clock.advance(901 * time.Second)
	_, err = f.iam(sdkConfig("snow", temp)).ListRoles(ctx(t), &iam.ListRolesInput{})
	if got := errorCode(err); got != "ExpiredToken" {
		t.Errorf("ListRoles with expired credentials: code %q (%v), want ExpiredToken", got, err)
	}
}

func TestAssumeRoleRefusedSDK(t *testing.T) {
	const (
		admin    = "arn:aws:iam::123456789012:role/admin"
		operator = "arn:aws:iam::123456789012:role/operator"
	)
	st := testState()
	op, lim := st.Users[0], st.Users[1]
	tests := []struct {
		name     string
		region   string
		creds    aws.CredentialsProvider
		skew     time.Duration
		arn      string
		session  string
		duration int32
		want     string
	}{
		{name: "wrong secret", creds: static(op.AccessKeyID, "wrongSecret000000000000000000000000000000", ""), want: "SignatureDoesNotMatch"},
		{name: "unknown key", creds: static("AKIAUNKNOWN000000000", op.SecretAccessKey, ""), want: "InvalidClientTokenId"},
		{name: "session token on a long-term key", creds: static(op.AccessKeyID, op.SecretAccessKey, "token"), want: "InvalidClientTokenId"},
		{name: "unknown temporary key", creds: static("ASIAUNKNOWN000000000", op.SecretAccessKey, "token"), want: "InvalidClientTokenId"},
		{name: "wrong region", region: "us-east-1", want: "SignatureDoesNotMatch"},
		{name: "unsigned", creds: aws.AnonymousCredentials{}, want: "MissingAuthenticationToken"},
		{name: "device clock 20 minutes ahead", skew: 20 * time.Minute, want: "RequestExpired"},
		{name: "device clock 20 minutes behind", skew: -20 * time.Minute, want: "RequestExpired"},
		{name: "role not allowed", creds: static(lim.AccessKeyID, lim.SecretAccessKey, ""), arn: operator, want: "AccessDenied"},
		{name: "unknown role", arn: "arn:aws:iam::123456789012:role/nobody", want: "AccessDenied"},
		{name: "other account", arn: "arn:aws:iam::999999999999:role/admin", want: "AccessDenied"},
		{name: "not an ARN", arn: "this-is-not-an-arn-at-all", want: "ValidationError"},
		{name: "short ARN", arn: "arn:aws:iam::1:role", want: "ValidationError"},
		{name: "duration below 900", duration: 899, want: "ValidationError"},
		{name: "duration above 43200", duration: 43201, arn: operator, want: "ValidationError"},
		{name: "duration above role maximum", duration: 3601, want: "ValidationError"},
		{name: "session name with space", session: "bad name", want: "ValidationError"},
		{name: "session name too short", session: "a", want: "ValidationError"},
		{name: "session name too long", session: strings.Repeat("a", 65), want: "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, testState())
			f.clock.advance(tc.skew)
			cfg := sdkConfig("snow", f.operator())
			if tc.region != "" {
				cfg.Region = tc.region
			}
			if tc.creds != nil {
				cfg.Credentials = tc.creds
			}
			in := &sts.AssumeRoleInput{RoleArn: aws.String(admin), RoleSessionName: aws.String("snowsts-test")}
			if tc.arn != "" {
				in.RoleArn = aws.String(tc.arn)
			}
			if tc.session != "" {
				in.RoleSessionName = aws.String(tc.session)
			}
			if tc.duration != 0 {
				in.DurationSeconds = aws.Int32(tc.duration)
			}
			_, err := f.sts(cfg).AssumeRole(ctx(t), in)
			if got := errorCode(err); got != tc.want {
				t.Fatalf("error code %q (%v), want %q", got, err, tc.want)
			}
			if n := f.dev.Calls(ActionAssumeRole); n != 1 {
				t.Errorf("Calls(AssumeRole) = %d, want 1 (refused calls count)", n)
			}
			if n := f.dev.AssumeRoleIssued(); n != 0 {
				t.Errorf("AssumeRoleIssued = %d, want 0", n)
			}
		})
	}
}

func TestAccessDeniedMessage(t *testing.T) {
	f := newFixture(t, nil)
	lim := f.st.Users[1]
	arn := "arn:aws:iam::123456789012:role/operator"
	_, err := f.sts(sdkConfig("snow", static(lim.AccessKeyID, lim.SecretAccessKey, ""))).AssumeRole(ctx(t),
		&sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s1")})
	want := "User: arn:aws:iam::123456789012:user/limited is not authorized to perform: sts:AssumeRole on resource: " + arn
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

func TestTemporaryCredentialsCannotAssumeRole(t *testing.T) {
	f := newFixture(t, nil)
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/admin"), RoleSessionName: aws.String("s1")}
	out, err := f.sts(sdkConfig("snow", f.operator())).AssumeRole(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	_, err = f.sts(sdkConfig("snow", static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))).AssumeRole(ctx(t), in)
	if got := errorCode(err); got != "AccessDenied" {
		t.Fatalf("code %q (%v), want AccessDenied", got, err)
	}
	// A wrong session token with a real temporary key is refused too.
	_, err = f.iam(sdkConfig("snow", static(*c.AccessKeyId, *c.SecretAccessKey, "forged"))).ListRoles(ctx(t), &iam.ListRolesInput{})
	if got := errorCode(err); got != "InvalidClientTokenId" {
		t.Fatalf("forged token: code %q (%v), want InvalidClientTokenId", got, err)
	}
}

func TestIAMSDK(t *testing.T) {
	f := newFixture(t, nil)
	c := f.iam(sdkConfig("snow", f.operator()))

	t.Run("ListRoles pages", func(t *testing.T) {
		var names []string
		p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{MaxItems: aws.Int32(2)})
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, r := range out.Roles {
				names = append(names, *r.RoleName+"="+*r.Arn)
			}
		}
		want := "admin=arn:aws:iam::123456789012:role/admin operator=arn:aws:iam::123456789012:role/operator auditor=arn:aws:iam::123456789012:role/ops/auditor"
		if got := strings.Join(names, " "); got != want || pages != 2 {
			t.Errorf("roles %q in %d pages, want %q in 2", got, pages, want)
		}
	})
	t.Run("ListRoles PathPrefix", func(t *testing.T) {
		out, err := c.ListRoles(ctx(t), &iam.ListRolesInput{PathPrefix: aws.String("/ops/")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Roles) != 1 || *out.Roles[0].RoleName != "auditor" || out.IsTruncated {
			t.Errorf("got %d roles, truncated %v", len(out.Roles), out.IsTruncated)
		}
	})
	t.Run("ListRoles bad marker", func(t *testing.T) {
		_, err := c.ListRoles(ctx(t), &iam.ListRolesInput{Marker: aws.String("garbage")})
		if got := errorCode(err); got != "ValidationError" {
			t.Errorf("code %q, want ValidationError", got)
		}
	})
	t.Run("GetRole", func(t *testing.T) {
		out, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("operator")})
		if err != nil {
			t.Fatal(err)
		}
		if *out.Role.MaxSessionDuration != 43200 || *out.Role.Path != "/" || !strings.HasPrefix(*out.Role.RoleId, "AROA") {
			t.Errorf("role = %+v", out.Role)
		}
	})
	t.Run("GetRole unknown", func(t *testing.T) {
		_, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("nobody")})
		if got := errorCode(err); got != "NoSuchEntity" {
			t.Errorf("code %q, want NoSuchEntity", got)
		}
	})
	t.Run("ListUsers", func(t *testing.T) {
		out, err := c.ListUsers(ctx(t), &iam.ListUsersInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Users) != 2 || *out.Users[1].Arn != "arn:aws:iam::123456789012:user/limited" {
			t.Errorf("users = %+v", out.Users)
		}
	})
	t.Run("unsupported IAM action", func(t *testing.T) {
		_, err := c.ListAccessKeys(ctx(t), &iam.ListAccessKeysInput{})
		if got := errorCode(err); got != "InvalidAction" {
			t.Errorf("code %q, want InvalidAction", got)
		}
	})
	t.Run("unsupported STS action", func(t *testing.T) {
		_, err := f.sts(sdkConfig("snow", f.operator())).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		if got := errorCode(err); got != "InvalidAction" {
			t.Errorf("code %q, want InvalidAction", got)
		}
	})
	t.Run("IAM wrong region", func(t *testing.T) {
		_, err := f.iam(sdkConfig("us-east-1", f.operator())).ListRoles(ctx(t), &iam.ListRolesInput{})
		if got := errorCode(err); got != "SignatureDoesNotMatch" {
			t.Errorf("code %q, want SignatureDoesNotMatch", got)
		}
	})
	if n := f.dev.Calls(ActionListRoles); n != 5 {
		t.Errorf("Calls(ListRoles) = %d, want 5", n)
	}
}
