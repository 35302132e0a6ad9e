// Package tfharness drives a real Terraform CLI against a freshly built
// provider binary, the way a user runs it, for `make demo`, the load and
// security tests and `make bench`. terraform-plugin-testing cannot pass
// flags such as -parallelism, so these drive the CLI themselves.
//
// The provider is found through a dev_overrides CLI configuration, so no
// registry and no `terraform init` are involved.
package tfharness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RequiredProviders is the terraform block every configuration starts with.
const RequiredProviders = `terraform {
  required_providers {
    intune = {
      source = "intunetf/intune"
    }
  }
}
`

// BinaryName is the provider executable's file name.
const BinaryName = "terraform-provider-intune"

// ModuleRoot is the directory holding the provider's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the provider's Go module")
	}
	return filepath.Dir(gomod), nil
}

// GoBuild builds pkg (relative to the module root) into out. A release build
// is what goreleaser ships: -trimpath and stripped of symbols and DWARF.
func GoBuild(out, pkg string, release bool) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	args := []string{"build", "-o", out}
	if release {
		args = append(args, "-trimpath", "-ldflags", "-s -w")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, stderr.String())
	}
	return nil
}

// BuildProvider builds the provider into dir/terraform-provider-intune.
func BuildProvider(dir string, release bool) (string, error) {
	out := filepath.Join(dir, BinaryName)
	return out, GoBuild(out, ".", release)
}

// CLI is what a harness needs to know about the Terraform or OpenTofu CLI
// it drives.
type CLI struct {
	Banner string // the first line of its `version`: "Terraform v1.8.5", "OpenTofu v1.10.10"
	Name   string // the command users type: terraform or tofu
	// ProviderSource is the address the CLI reads the source
	// "intunetf/intune" as, which dev_overrides must map: OpenTofu's
	// default registry host is registry.opentofu.org.
	ProviderSource string
}

// Identify asks the CLI at path what it is.
func Identify(path string) (CLI, error) {
	cmd := exec.Command(path, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1") // no update check over the network
	out, err := cmd.Output()
	if err != nil {
		return CLI{}, fmt.Errorf("%s version: %w", path, err)
	}
	banner := Banner(out)
	switch {
	case strings.HasPrefix(banner, "OpenTofu"):
		return CLI{Banner: banner, Name: "tofu", ProviderSource: "registry.opentofu.org/intunetf/intune"}, nil
	case strings.HasPrefix(banner, "Terraform"):
		return CLI{Banner: banner, Name: "terraform", ProviderSource: "registry.terraform.io/intunetf/intune"}, nil
	}
	return CLI{}, fmt.Errorf("%s is neither Terraform nor OpenTofu: its version says %q", path, out)
}

// Banner is the line of a CLI's `version` output that names it, "Terraform
// v1.16.4" or "OpenTofu v1.12.6", or "" if none does. It is not always the
// first: OpenTofu 1.12 writes warnings about its CLI configuration (such as a
// TF_CLI_CONFIG_FILE that does not exist) to stdout before it.
func Banner(versionOutput []byte) string {
	for line := range strings.Lines(string(versionOutput)) {
		if strings.HasPrefix(line, "Terraform v") || strings.HasPrefix(line, "OpenTofu v") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// WriteCLIConfig writes a CLI configuration that takes the provider from
// pluginDir (which holds terraform-provider-intune) and nothing else, under
// the address cli gives it.
func WriteCLIConfig(path, pluginDir string, cli CLI) error {
	return os.WriteFile(path, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    %q = %q
  }
  direct {}
}
`, cli.ProviderSource, pluginDir)), 0o600)
}

// Emulator is what the environment needs to know about a Graph emulator.
type Emulator struct {
	URL, CAFile, TenantID, ClientID, ClientSecret string
}

// Env returns base plus the variables that point Terraform at cliConfig
// and the provider at the emulator, trusting its CA as a private CA.
func (e Emulator) Env(base []string, cliConfig string) []string {
	return append(clean(base),
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"SSL_CERT_FILE="+e.CAFile,
		"ARM_TENANT_ID="+e.TenantID,
		"ARM_CLIENT_ID="+e.ClientID,
		"ARM_CLIENT_SECRET="+e.ClientSecret,
		"ARM_MSGRAPH_ENDPOINT="+e.URL,
		"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST="+e.URL,
		"ARM_DISABLE_INSTANCE_DISCOVERY=true",
	)
}

// clean drops variables that would change what is being run or measured:
// another CLI configuration or plugin cache, logging, and ARM_* settings
// of a real tenant.
func clean(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "ARM_"), strings.HasPrefix(name, "TF_LOG"),
			name == "TF_CLI_CONFIG_FILE", name == "TF_PLUGIN_CACHE_DIR", name == "TF_CLI_ARGS",
			strings.HasPrefix(name, "TF_CLI_ARGS_"), name == "SSL_CERT_FILE":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// Terraform runs one Terraform CLI with a fixed environment.
type Terraform struct {
	Path string   // the CLI, e.g. "terraform"
	Name string   // the command Echo shows; "terraform" if empty
	Env  []string // the whole environment of every run
	// Echo, if set, also receives each command line and its output as it runs.
	Echo io.Writer
}

// Result is one finished command.
type Result struct {
	Args     []string
	ExitCode int
	Output   string // stdout and stderr, interleaved
	Wall     time.Duration
	// PeakRSS is the highest resident set size (VmHWM) any provider process
	// of this command reached, sampled every 10 ms; 0 if none was seen.
	PeakRSS int64
	// ProviderProcesses counts the provider processes the command started.
	ProviderProcesses int
}

// Run runs terraform args in dir. The error is for failing to run at all,
// or a *CrashError when the CLI or a plugin crashed; a command that fails
// otherwise has a non-zero ExitCode.
func (tf *Terraform) Run(ctx context.Context, dir string, args ...string) (Result, error) {
	res, _, err := tf.RunInterrupted(ctx, dir, nil, nil, args...)
	return res, err
}

// Interruption says when RunInterrupted signalled Terraform and what became
// of the provider processes.
type Interruption struct {
	At time.Time // when the signal was sent; zero if it never was
	// ProviderPIDs are the provider processes Terraform had started.
	ProviderPIDs []int
}

// RunInterrupted is Run, but sends sig to Terraform as soon as when (polled
// every 20 ms) reports true; a nil when never signals. An interrupted run
// may fail, never crash: a crash is a *CrashError here too.
func (tf *Terraform) RunInterrupted(ctx context.Context, dir string, when func() bool, sig os.Signal, args ...string) (Result, Interruption, error) {
	res := Result{Args: args}
	var intr Interruption
	cmd := exec.CommandContext(ctx, tf.Path, args...)
	cmd.Dir, cmd.Env = dir, tf.Env
	var out SyncBuffer
	w := io.Writer(&out)
	if tf.Echo != nil {
		name := tf.Name
		if name == "" {
			name = "terraform"
		}
		fmt.Fprintf(tf.Echo, "$ %s %s\n", name, strings.Join(args, " "))
		w = io.MultiWriter(w, tf.Echo)
	}
	cmd.Stdout, cmd.Stderr = w, w

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, intr, err
	}
	mon := watchProviders(cmd.Process.Pid)
	exited := make(chan struct{})
	signalled := make(chan struct{})
	if when != nil {
		go func() {
			defer close(signalled)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-exited:
					return
				case <-tick.C:
				}
				if when() {
					intr.At = time.Now()
					_ = cmd.Process.Signal(sig)
					return
				}
			}
		}()
	} else {
		close(signalled)
	}
	err := cmd.Wait()
	close(exited)
	<-signalled
	res.Wall = time.Since(start)
	res.PeakRSS, res.ProviderProcesses = mon.stop()
	intr.ProviderPIDs = mon.pids()
	res.Output = out.String()

	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode() // -1 when a signal killed it
	case err != nil:
		return res, intr, err
	}
	if crash := DetectCrash(args, res.ExitCode, res.Output); crash != nil {
		return res, intr, crash
	}
	return res, intr, nil
}

// ProcessAlive reports whether pid still runs (and is not a zombie).
func ProcessAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	_, rest, ok := strings.Cut(string(b), ") ")
	return ok && !strings.HasPrefix(rest, "Z")
}

// SyncBuffer is a bytes.Buffer that several goroutines may write at once,
// such as a process's stdout and stderr, or a server's logging.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TerraformPath is the CLI the acceptance tests drive, as
// terraform-plugin-testing finds it: TF_ACC_TERRAFORM_PATH, else terraform
// on PATH; "" when there is neither.
func TerraformPath() string {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		return ""
	}
	return p
}

// providerWatch samples the peak RSS of the provider processes that a
// Terraform process starts. Linux only; elsewhere it reports nothing.
type providerWatch struct {
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	peak map[int]int64 // pid -> VmHWM in bytes
}

func watchProviders(terraformPID int) *providerWatch {
	w := &providerWatch{done: make(chan struct{}), peak: map[int]int64{}}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			w.sample(terraformPID)
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *providerWatch) sample(terraformPID int) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", terraformPID))
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(field)
			if err != nil {
				continue
			}
			if _, known := w.peak[pid]; !known && isProvider(pid) {
				w.peak[pid] = 0
			}
		}
	}
	for pid := range w.peak {
		if hwm := vmHWM(pid); hwm > w.peak[pid] {
			w.peak[pid] = hwm
		}
	}
}

func (w *providerWatch) pids() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []int
	for pid := range w.peak {
		out = append(out, pid)
	}
	return out
}

func (w *providerWatch) stop() (peak int64, processes int) {
	close(w.done)
	w.wg.Wait()
	for _, p := range w.peak {
		peak = max(peak, p)
	}
	return peak, len(w.peak)
}

func isProvider(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	// comm holds the first 15 characters of the executable's name; Terraform
	// itself is "terraform", also a prefix of the provider's name.
	comm := strings.TrimSpace(string(b))
	return err == nil && len(comm) >= len("terraform-prov") && strings.HasPrefix(BinaryName, comm)
}

// vmHWM is the process's peak resident set size in bytes, 0 once it is gone.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
