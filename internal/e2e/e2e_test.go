// Package e2e holds end-to-end tests that drive the real Terraform CLI
// against the provider binary and an in-process Graph emulator: a load test
// with -parallelism and Intune's throttling model, a security test that
// reads Terraform's trace log, interrupted applies, and app uploads cut short
// (interrupted, or Storage stopped) against a real Azurite (`make azurite`).
// They run with TF_ACC=1, like the acceptance tests (`make test`;
// `make reliability` runs the load test at full size).
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// pluginDir holds the provider binary built once for all tests.
var pluginDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		return m.Run() // every test skips
	}
	dir, err := os.MkdirTemp("", "intune-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if _, err := tfharness.BuildProvider(dir, false); err != nil {
		fmt.Fprintln(os.Stderr, "building the provider:", err)
		return 1
	}
	pluginDir = dir
	return m.Run()
}

// terraformPath is the CLI the acceptance tests use.
func terraformPath(t *testing.T) string {
	t.Helper()
	p := tfharness.TerraformPath()
	if p == "" {
		t.Skip("no terraform on PATH and TF_ACC_TERRAFORM_PATH is not set")
	}
	return p
}

// workspace is a Terraform working directory wired to its own emulator.
type workspace struct {
	t   *testing.T
	dir string
	srv *graphfake.Server
	tf  *tfharness.Terraform
}

// newWorkspace starts an emulator with opts and a working directory whose
// Terraform finds the provider and the emulator. extraEnv is appended last,
// so it can override the emulator's settings.
func newWorkspace(t *testing.T, opts graphfake.Options, extraEnv ...string) *workspace {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("end-to-end test: set TF_ACC=1")
	}
	srv, err := graphfake.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile, rc := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "terraformrc")
	if err := srv.WriteCACert(caFile); err != nil {
		t.Fatal(err)
	}
	path := terraformPath(t)
	cli, err := tfharness.Identify(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tfharness.WriteCLIConfig(rc, pluginDir, cli); err != nil {
		t.Fatal(err)
	}
	emu := tfharness.Emulator{URL: srv.URL(), CAFile: caFile, TenantID: srv.TenantID(), ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret()}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	return &workspace{t: t, dir: work, srv: srv, tf: &tfharness.Terraform{
		Path: path,
		Env:  append(emu.Env(os.Environ(), rc), extraEnv...),
	}}
}

func (w *workspace) writeConfig(hcl string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(tfharness.RequiredProviders+"\n"+hcl), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// run runs terraform and fails the test unless it exits with one of codes
// (default 0).
func (w *workspace) run(args []string, codes ...int) tfharness.Result {
	w.t.Helper()
	if len(codes) == 0 {
		codes = []int{0}
	}
	res, err := w.tf.Run(context.Background(), w.dir, append(args, "-no-color")...)
	if err != nil {
		w.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	for _, c := range codes {
		if res.ExitCode == c {
			return res
		}
	}
	w.t.Fatalf("terraform %s exited %d, want %v:\n%s", strings.Join(args, " "), res.ExitCode, codes, res.Output)
	return res
}
