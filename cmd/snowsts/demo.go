package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/devicesim"
)

type demoOptions struct {
	f    *factory
	io   *streams
	keep bool
}

func newDemoCmd(f *factory, runF func(context.Context, *demoOptions) error) *cobra.Command {
	o := &demoOptions{f: f, io: f.io}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow against an in-process simulated device",
		Long: `Start a simulated Snowball Edge inside this process, then run configure,
assume and env against it in a throwaway directory, printing each command as you
would type it and what it did. Nothing under your ~/.aws or cache is touched.
Everything is printed on stderr.`,
		Example: `  snowsts demo
  go run ./cmd/snowsts demo`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runDemo(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.keep, "keep", false, "keep the throwaway directory and print its path")
	return cmd
}

func runDemo(ctx context.Context, o *demoOptions) error {
	out := o.io.ErrOut
	dir, err := os.MkdirTemp("", "snowsts-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if o.keep {
		defer fmt.Fprintf(out, "\nThe demo's files are in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	st, err := devicesim.DefaultState()
	if err != nil {
		return err
	}
	dev, err := devicesim.New(st)
	if err != nil {
		return err
	}
	// The device serves on loopback like `snowsts simulate`, until the demo ends.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- devicesim.Serve(sctx, ln, dev, nil) }()
	defer func() { stop(); <-served }()
	endpoint := "http://" + ln.Addr().String()
	banner := dev.Banner(endpoint)

	env := map[string]string{
		"HOME":                        dir,
		"AWS_CONFIG_FILE":             filepath.Join(dir, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, ".aws", "credentials"),
		"SNOWSTS_CACHE_DIR":           filepath.Join(dir, "cache"),
		"SNOWSTS_PROFILE":             "",
		"SHELL":                       "/bin/bash",
	}
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return o.f.getenv(k)
	}
	credsFile := filepath.Join(dir, "snowball-creds.ini")
	if err := os.WriteFile(credsFile, fmt.Appendf(nil, "[snowballEdge]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		banner.AccessKeyID, banner.SecretAccessKey), 0o600); err != nil {
		return err
	}

	fmt.Fprintf(out, "snowsts demo: a simulated Snowball Edge listens on %s\n", endpoint)
	fmt.Fprintf(out, "Its user has access key %s; its roles: %s\n", device.Mask(banner.AccessKeyID), strings.Join(banner.Roles, ", "))
	fmt.Fprintf(out, "Working in %s (your own ~/.aws is not touched).\n", dir)

	step := func(title, typed string, args ...string) (string, error) {
		fmt.Fprintf(out, "\n== %s\n$ %s\n", title, typed)
		var stdout bytes.Buffer
		s := &streams{In: strings.NewReader(""), Out: &stdout, ErrOut: indent(out), inFd: -1}
		code := run(ctx, args, s, getenv)
		if stdout.Len() > 0 {
			io.Copy(indent(out), bytes.NewReader(stdout.Bytes()))
		}
		if code != 0 {
			return "", fmt.Errorf("demo step %q failed with exit code %d", title, code)
		}
		return stdout.String(), nil
	}
	role := banner.Roles[0]
	fmt.Fprintf(out, "\n== 0. On a real device you would first get the keys:\n$ snowballEdge list-access-keys\n$ snowballEdge get-secret-access-key --access-key-id %s > snowball-creds.ini\n", device.Mask(banner.AccessKeyID))
	if _, err := step("1. Write the device profile",
		"snowsts configure --device 192.0.2.10 --import-credentials snowball-creds.ini   # here: the simulator's URL",
		"configure", "--device", "127.0.0.1", "--sts-endpoint", endpoint, "--iam-endpoint", endpoint, "--import-credentials", credsFile); err != nil {
		return err
	}
	cfg, _ := os.ReadFile(env["AWS_CONFIG_FILE"])
	fmt.Fprintf(out, "  ~/.aws/config now holds:\n")
	indent(out).Write(cfg)

	if _, err := step("2. Assume a role into ~/.aws/credentials", "snowsts assume --role-arn "+role,
		"assume", "--role-arn", role); err != nil {
		return err
	}
	if _, err := step("3. Put the credentials in the shell", `eval "$(snowsts env)"   # prints:`, "env", "--shell", "bash"); err != nil {
		return err
	}
	if _, err := step("4. Ask again: served from the cache, no new AssumeRole",
		"snowsts env --role-arn "+role, "env", "--shell", "bash", "--role-arn", role); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nThe device served %d AssumeRole calls.\n", dev.Calls("AssumeRole"))
	fmt.Fprintf(out, "\nNext, on a real device:\n  snowsts configure --device IP --import-credentials creds.ini\n  snowsts roles\n  snowsts assume --role-arn ARN\n  aws --profile snow-<role> s3 ls\n")
	return nil
}

// indent prefixes every line written through it with two spaces.
func indent(w io.Writer) io.Writer { return &indenter{w: w, bol: true} }

type indenter struct {
	w   io.Writer
	bol bool
}

func (i *indenter) Write(p []byte) (int, error) {
	var b bytes.Buffer
	for _, c := range p {
		if i.bol {
			b.WriteString("  ")
		}
		b.WriteByte(c)
		i.bol = c == '\n'
	}
	if _, err := i.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}
