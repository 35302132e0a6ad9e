package provider

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A CLI run through the wrapper behaves as itself (arguments, stdin,
// output, exit code), and a crash is recorded with its arguments and panic.
func TestCLIWrapperRecordsCrashes(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake-terraform")
	// It echoes its arguments and a line of stdin; `apply` crashes as
	// Terraform 1.16.4 did.
	writeFile(t, fake, `#!/bin/sh
read line
echo "args: $* stdin: $line"
if [ "$1" = apply ]; then
  echo '!!!!!!!!!!!!!!!!!!!!!!!!!!! TERRAFORM CRASH !!!!!!!!!!!!!!!!!!!!!!!!!!!!' >&2
  echo 'panic: Instance x.r6 has status ObjectStatus(0)' >&2
  exit 11
fi
exit 2
`)
	if err := os.Chmod(fake, 0o755); err != nil {
		t.Fatal(err)
	}
	script, crashLog, err := writeCLIWrapper(t.TempDir(), fake)
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		cmd := exec.Command(script, args...)
		cmd.Stdin = strings.NewReader("hello\n")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		_ = cmd.Run()
		return out.String(), cmd.ProcessState.ExitCode()
	}

	out, code := run("plan", "-detailed-exitcode")
	if code != 2 || !strings.Contains(out, "args: plan -detailed-exitcode stdin: hello") {
		t.Fatalf("plan through the wrapper: exit %d, output %q; want exit 2 and the CLI's own output", code, out)
	}
	if b, _ := os.ReadFile(crashLog); len(b) != 0 || reportCrashes(io.Discard, crashLog) {
		t.Fatalf("a run that did not crash was recorded: %s", b)
	}

	out, code = run("apply", "-auto-approve")
	if code != 11 || !strings.Contains(out, "TERRAFORM CRASH") {
		t.Fatalf("apply through the wrapper: exit %d, output %q; want exit 11 and the crash banner", code, out)
	}
	b, err := os.ReadFile(crashLog)
	if err != nil {
		t.Fatal(err)
	}
	var rec crashRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("crash log %q: %v", b, err)
	}
	if !slices.Equal(rec.Args, []string{"apply", "-auto-approve"}) || rec.Exit != 11 || !strings.HasPrefix(rec.Panic, "panic: Instance x.r6") {
		t.Errorf("crash record %+v", rec)
	}
	var report bytes.Buffer
	if !reportCrashes(&report, crashLog) || !strings.Contains(report.String(), "apply -auto-approve") || !strings.Contains(report.String(), "panic: Instance x.r6") {
		t.Errorf("reportCrashes said %q", report.String())
	}
}
