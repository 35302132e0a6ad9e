package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// No test passes over a CLI crash. terraform-plugin-testing runs the CLI
// through terraform-exec, and a step with ExpectError can match the error a
// crash prints; the examples and cliModule tests run it themselves. So every
// one of them runs the CLI through this test binary: TF_ACC_TERRAFORM_PATH
// points at a script that starts it with wrappedCLIVar set, and TestMain
// then runs the real CLI in its place, passing everything through, and
// records each crash (tfharness.DetectCrash) in the crash log, which fails
// the package after the tests.
const (
	wrappedCLIVar = "INTUNE_TEST_CLI_WRAPPED"   // the real CLI
	crashLogVar   = "INTUNE_TEST_CLI_CRASH_LOG" // where crashes are recorded
)

// crashRecord is one line of the crash log.
type crashRecord struct {
	Args  []string `json:"args"`
	Dir   string   `json:"dir"`
	Exit  int      `json:"exit"`
	Panic string   `json:"panic"`
}

// runAsCLIWrapper runs the wrapped CLI when this process was started as the
// wrapper, and returns its exit code; wrapper is false otherwise.
func runAsCLIWrapper() (code int, wrapper bool) {
	cli := os.Getenv(wrappedCLIVar)
	if cli == "" {
		return 0, false
	}
	// The CLI's parent-death signal (linux) belongs to this thread, as
	// terraform-exec sets it for the CLI it starts.
	runtime.LockOSThread()
	args := os.Args[1:]
	cmd := exec.Command(cli, args...)
	cmd.Env = withoutVars(os.Environ(), wrappedCLIVar, crashLogVar)
	cmd.SysProcAttr = wrappedCLIProcAttr()
	var out tfharness.SyncBuffer
	cmd.Stdin = os.Stdin
	cmd.Stdout, cmd.Stderr = io.MultiWriter(os.Stdout, &out), io.MultiWriter(os.Stderr, &out)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "running the wrapped CLI:", err)
		return 1, true
	}
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
		if code < 0 { // killed by a signal
			code = 1
		}
	case err != nil:
		fmt.Fprintln(os.Stderr, "running the wrapped CLI:", err)
		return 1, true
	}
	if crash := tfharness.DetectCrash(args, code, out.String()); crash != nil {
		dir, _ := os.Getwd()
		if err := appendCrash(os.Getenv(crashLogVar), crashRecord{Args: args, Dir: dir, Exit: code, Panic: crash.Panic}); err != nil {
			fmt.Fprintln(os.Stderr, "recording a CLI crash:", err)
			return 1, true
		}
	}
	return code, true
}

// appendCrash adds rec to the crash log in one write, so that CLIs run in
// parallel do not interleave.
func appendCrash(log string, rec crashRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	return errors.Join(err, f.Close())
}

// wrapCLI points TF_ACC_TERRAFORM_PATH at a script in dir that runs cli
// through this test binary, and returns the crash log it writes to.
// terraform-plugin-testing wants a path, not a command line.
func wrapCLI(dir, cli string) (crashLog string, err error) {
	script, crashLog, err := writeCLIWrapper(dir, cli)
	if err != nil {
		return "", err
	}
	return crashLog, os.Setenv("TF_ACC_TERRAFORM_PATH", script)
}

// writeCLIWrapper writes the script that runs cli through this test binary,
// and its empty crash log, into dir.
func writeCLIWrapper(dir, cli string) (script, crashLog string, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", "", err
	}
	crashLog = filepath.Join(dir, "cli-crashes.jsonl")
	if err := os.WriteFile(crashLog, nil, 0o600); err != nil {
		return "", "", err
	}
	script = filepath.Join(dir, filepath.Base(cli))
	// Only shell built-ins: a test may run the CLI with a PATH that has no
	// env (TestAccAuth_nothingConfigured narrows it).
	body := fmt.Sprintf("#!/bin/sh\n%s=%s\n%s=%s\nexport %s %s\nexec %s \"$@\"\n",
		wrappedCLIVar, shellQuote(cli), crashLogVar, shellQuote(crashLog), wrappedCLIVar, crashLogVar, shellQuote(self))
	return script, crashLog, os.WriteFile(script, []byte(body), 0o755)
}

// reportCrashes prints every crash in the log to w and says whether there
// was one.
func reportCrashes(w io.Writer, crashLog string) bool {
	b, err := os.ReadFile(crashLog)
	if err != nil {
		fmt.Fprintln(w, "reading the CLI crash log:", err)
		return true
	}
	if len(b) == 0 {
		return false
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	fmt.Fprintf(w, "FAIL: the CLI crashed %d time(s); a crash fails the package, whatever a test expected:\n", len(lines))
	for _, line := range lines {
		var rec crashRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			fmt.Fprintf(w, "\n%s\n", line)
			continue
		}
		fmt.Fprintf(w, "\n--- %s (in %s, exit %d)\n%s\n", strings.Join(rec.Args, " "), rec.Dir, rec.Exit, rec.Panic)
	}
	return true
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// withoutVars is env without the variables names.
func withoutVars(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}
