package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/ini.v1"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
)

type configureOptions struct {
	io      *streams
	paths   awsfile.Paths
	profile string

	device      string
	https       bool
	httpsSet    bool
	accessKeyID string
	secretStdin bool
	importFrom  string
	caBundle    string
	endpoints   map[string]*string // per-service overrides
	force       bool
}

func newConfigureCmd(f *factory, runF func(context.Context, *configureOptions) error) *cobra.Command {
	o := &configureOptions{io: f.io, endpoints: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "configure",
		Short: "Write the device profile that points every AWS tool at the device",
		Long: `Write the device profile P (--profile, default "snow"):

  config file       [profile P]  region = snow, services = P, ca_bundle
                    [services P] sts/iam/s3/ec2 endpoint_url of the device
  credentials file  [P]          aws_access_key_id, aws_secret_access_key

so that plain "aws --profile P iam list-roles" reaches the device. Ports:
STS 7078 (HTTPS 7089), IAM 6078 (6089), S3 8080 (8443), EC2 8008 (8243).

The secret never goes on the command line: pipe it with --secret-access-key-stdin,
import the block "snowballEdge get-secret-access-key" prints with
--import-credentials, or type it at the prompt (no echo). On a terminal, anything
missing is asked for, showing current values; without one, it is an error.
Running configure again changes only the keys it owns; "configure --device NEW-IP"
alone moves the profile to a new address. A same-named profile that snowsts did
not write is refused unless --force.`,
		Example: `  # keys from the Snowball Edge client, device over HTTP
  snowballEdge get-secret-access-key --access-key-id AKIA... > creds.ini
  snowsts configure --device 192.0.2.10 --import-credentials creds.ini

  # HTTPS with the device certificate, secret piped in
  snowballEdge get-certificate --certificate-arn ARN > device.pem
  printf '%s\n' "$SECRET" | snowsts configure --device 192.0.2.10 --https \
      --ca-bundle device.pem --access-key-id AKIA... --secret-access-key-stdin

  # the device was unlocked with a new IP
  snowsts configure --device 192.0.2.20`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = f.paths()
			o.profile = f.profile
			o.httpsSet = cmd.Flags().Changed("https")
			for svc := range o.endpoints {
				if !cmd.Flags().Changed(svc + "-endpoint") {
					o.endpoints[svc] = nil
				}
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runConfigure(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.device, "device", "", "the device's IP address or host name")
	fl.BoolVar(&o.https, "https", false, "use the HTTPS ports (7089, 6089, 8443, 8243)")
	fl.StringVar(&o.accessKeyID, "access-key-id", "", "the device user's access key id (`snowballEdge list-access-keys`)")
	fl.BoolVar(&o.secretStdin, "secret-access-key-stdin", false, "read the secret access key as one line from stdin")
	fl.StringVar(&o.importFrom, "import-credentials", "", "`FILE` (or -) with the INI block `snowballEdge get-secret-access-key` prints")
	fl.StringVar(&o.caBundle, "ca-bundle", "", "PEM `FILE` from `snowballEdge get-certificate`, stored as ca_bundle")
	for _, svc := range device.Services {
		v := new(string)
		o.endpoints[svc] = v
		fl.StringVar(v, svc+"-endpoint", "", fmt.Sprintf("override the %s endpoint `URL`", strings.ToUpper(svc)))
	}
	fl.BoolVar(&o.force, "force", false, "take over a same-named profile that snowsts did not write")
	cmd.AddCommand(newConfigureRoleCmd(f, nil))
	return cmd
}

func runConfigure(ctx context.Context, o *configureOptions) error {
	if o.secretStdin && o.importFrom == "-" {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--secret-access-key-stdin and --import-credentials - both want stdin"), "")
	}
	cfg, creds, err := profile.Load(o.paths)
	if err != nil {
		return err
	}
	if err := profile.CheckDeviceWritable(o.paths, cfg, creds, o.profile, o.force); err != nil {
		return err
	}
	cur, exists := profile.ReadDevice(cfg, creds, o.profile)
	want := profile.Device{Name: o.profile, Endpoints: map[string]string{}, CABundle: cur.CABundle,
		AccessKeyID: cur.AccessKeyID, SecretAccessKey: cur.SecretAccessKey}
	for k, v := range cur.Endpoints {
		want.Endpoints[k] = v
	}
	interactive := o.io.canPrompt() && !anyInput(o)

	// Keys: flags and imports first, then what the profile has, then prompts.
	if o.importFrom != "" {
		id, secret, err := importCredentials(o.io, o.importFrom)
		if err != nil {
			return err
		}
		want.AccessKeyID, want.SecretAccessKey = id, secret
	}
	if o.accessKeyID != "" {
		want.AccessKeyID = o.accessKeyID
	}
	if o.secretStdin {
		if want.SecretAccessKey, err = readLine(o.io, "secret access key"); err != nil {
			return err
		}
	}

	// Endpoints: --device (and --https) set all four, overrides win.
	host := o.device
	if host == "" && (o.httpsSet || interactive || len(cur.Endpoints) == 0) {
		host = hostOf(cur.Endpoints["sts"])
		if o.io.canPrompt() && (interactive || host == "") {
			if host, err = ask(o.io, "Device IP address or host name", host, false); err != nil {
				return err
			}
		}
	}
	// The device's standard ports replace the endpoints only when the address
	// or the scheme changes (or there are none yet): keeping the address at a
	// prompt keeps endpoints set with --sts-endpoint and the like.
	if host != "" && (o.device != "" || o.httpsSet || len(cur.Endpoints) == 0 || host != hostOf(cur.Endpoints["sts"])) {
		if err := profile.ValidateHost(host); err != nil {
			return exitcode.New(exitcode.Usage, fmt.Errorf("--device: %w", err), "")
		}
		https := o.https || (!o.httpsSet && strings.HasPrefix(cur.Endpoints["sts"], "https://"))
		want.Endpoints = profile.EndpointsFor(host, https)
	}
	for svc, v := range o.endpoints {
		if v == nil {
			continue
		}
		if err := device.CheckEndpointURL(*v); err != nil {
			return exitcode.New(exitcode.Usage, fmt.Errorf("--%s-endpoint: %w", svc, err), "")
		}
		want.Endpoints[svc] = *v
	}
	if want.Endpoints["sts"] == "" {
		return missing("the device address", "--device IP")
	}

	if o.io.canPrompt() {
		if interactive || want.AccessKeyID == "" {
			if want.AccessKeyID, err = ask(o.io, "Access key id", want.AccessKeyID, false); err != nil {
				return err
			}
		}
		if interactive || want.SecretAccessKey == "" {
			if want.SecretAccessKey, err = ask(o.io, "Secret access key", want.SecretAccessKey, true); err != nil {
				return err
			}
		}
	}
	if want.AccessKeyID == "" {
		return missing("the access key id", "--access-key-id ID or --import-credentials FILE")
	}
	if want.SecretAccessKey == "" {
		return missing("the secret access key", "--secret-access-key-stdin or --import-credentials FILE")
	}
	if err := checkKeys(want.AccessKeyID, want.SecretAccessKey); err != nil {
		return err
	}

	if o.caBundle != "" {
		abs, err := filepath.Abs(o.caBundle)
		if err != nil {
			return exitcode.New(exitcode.Usage, fmt.Errorf("--ca-bundle: %w", err), "")
		}
		if _, err := device.LoadCABundle(abs); err != nil {
			return exitcode.New(exitcode.Usage, fmt.Errorf("--ca-bundle: %w", err), "save the PEM that `snowballEdge get-certificate` prints and pass that file")
		}
		want.CABundle = abs
	}

	warnings, err := profile.WriteDevice(ctx, o.paths, want, o.force)
	for _, w := range warnings {
		fmt.Fprintf(o.io.ErrOut, "warning: %s\n", w)
	}
	if err != nil {
		return err
	}
	verb := "Wrote"
	if exists {
		verb = "Updated"
	}
	fmt.Fprintf(o.io.ErrOut, "%s device profile %q: STS %s, keys %s, in %s and %s\n",
		verb, o.profile, want.Endpoints["sts"], device.Mask(want.AccessKeyID), o.paths.Config, o.paths.Credentials)
	if want.CABundle != "" {
		fmt.Fprintf(o.io.ErrOut, "Certificate: %s\n", want.CABundle)
	}
	fmt.Fprintf(o.io.ErrOut, "Next: snowsts --profile %s roles, then snowsts --profile %s assume --role-arn ARN\n", o.profile, o.profile)
	return nil
}

// anyInput reports whether the user gave configure anything to set.
func anyInput(o *configureOptions) bool {
	if o.device != "" || o.httpsSet || o.accessKeyID != "" || o.secretStdin || o.importFrom != "" || o.caBundle != "" {
		return true
	}
	for _, v := range o.endpoints {
		if v != nil {
			return true
		}
	}
	return false
}

func missing(what, flag string) error {
	return exitcode.New(exitcode.Usage, fmt.Errorf("%s is missing and there is no terminal to ask on", what), "pass "+flag)
}

func hostOf(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	s := endpoint[strings.Index(endpoint, "://")+3:]
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.HasSuffix(s, "]") {
		s = s[:i]
	}
	return strings.Trim(strings.TrimSuffix(s, "/"), "[]")
}

// checkKeys refuses keys that cannot be real: access key ids are letters and
// digits; secrets are printable ASCII without spaces. Values are never echoed.
func checkKeys(id, secret string) error {
	if len(id) < 4 || len(id) > 128 {
		return exitcode.New(exitcode.Usage, fmt.Errorf("the access key id must be 4 to 128 characters, got %d", len(id)), "")
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return exitcode.New(exitcode.Usage, fmt.Errorf("the access key id %q must be letters and digits only", device.Clip(id)), "")
		}
	}
	if len(secret) < 4 || len(secret) > 256 {
		return exitcode.New(exitcode.Usage, fmt.Errorf("the secret access key must be 4 to 256 characters, got %d", len(secret)), "")
	}
	for i := 0; i < len(secret); i++ {
		if secret[i] <= ' ' || secret[i] >= 0x7f {
			return exitcode.New(exitcode.Usage, fmt.Errorf("the secret access key has a space, control or non-ASCII character"), "paste it exactly as `snowballEdge get-secret-access-key` prints it")
		}
	}
	return nil
}

// importCredentials reads the INI block `snowballEdge get-secret-access-key`
// prints: any section name, keys aws_access_key_id and aws_secret_access_key.
func importCredentials(s *streams, from string) (id, secret string, err error) {
	var data []byte
	if from == "-" {
		data, err = io.ReadAll(io.LimitReader(s.lineReader(), 1<<20))
	} else {
		data, err = os.ReadFile(from)
	}
	if err != nil {
		return "", "", exitcode.New(exitcode.Usage, fmt.Errorf("--import-credentials: %w", err), "")
	}
	f, err := ini.LoadSources(ini.LoadOptions{Insensitive: true, AllowNestedValues: true}, data)
	if err != nil {
		return "", "", exitcode.New(exitcode.Usage, fmt.Errorf("--import-credentials %s: not an INI block (a line is neither [section] nor key = value)", from), "pass the output of `snowballEdge get-secret-access-key` as it is")
	}
	for _, sec := range f.Sections() {
		id, secret = sec.Key("aws_access_key_id").String(), sec.Key("aws_secret_access_key").String()
		if id != "" && secret != "" {
			return id, secret, nil
		}
	}
	return "", "", exitcode.New(exitcode.Usage, fmt.Errorf("--import-credentials %s: no section with aws_access_key_id and aws_secret_access_key", from),
		"pass the output of `snowballEdge get-secret-access-key` as it is")
}
