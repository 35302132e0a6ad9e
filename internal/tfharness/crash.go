package tfharness

import (
	"fmt"
	"strings"
)

// CrashExitCode is the exit code of Terraform's and OpenTofu's panic handler.
const CrashExitCode = 11

// crashMarkers are what a CLI prints when it or a plugin panicked, spelt as
// they print them: Terraform's and OpenTofu's crash banners, and the error
// both show when a provider process panicked ("The terraform-provider-x
// plugin crashed!").
var crashMarkers = []string{"TERRAFORM CRASH", "OPENTOFU CRASH", "plugin crashed"}

// CrashError is a CLI run that crashed: the CLI panicked (exit 11, a crash
// banner) or reported that a plugin did. A crash is never an outcome a test
// may accept, whatever the exit code, so Run and RunInterrupted return it as
// their error.
type CrashError struct {
	Args     []string
	ExitCode int
	Panic    string // the output from the first "panic:" line on, else all of it
}

func (e *CrashError) Error() string {
	return fmt.Sprintf("the CLI crashed running %q (exit %d):\n%s", strings.Join(e.Args, " "), e.ExitCode, e.Panic)
}

// DetectCrash returns a *CrashError when a run with args that exited with
// exitCode and printed output crashed, else nil.
func DetectCrash(args []string, exitCode int, output string) *CrashError {
	crashed := exitCode == CrashExitCode
	for _, m := range crashMarkers {
		crashed = crashed || strings.Contains(output, m)
	}
	if !crashed {
		return nil
	}
	text := output
	if i := strings.Index(output, "panic:"); i >= 0 {
		// From the start of the line, which may be prefixed (a plugin's
		// stack trace is quoted with its own prefix by some CLIs).
		text = output[strings.LastIndexByte(output[:i], '\n')+1:]
	}
	return &CrashError{Args: args, ExitCode: exitCode, Panic: text}
}
