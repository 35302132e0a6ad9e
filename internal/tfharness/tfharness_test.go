package tfharness

import "testing"

func TestBanner(t *testing.T) {
	for out, want := range map[string]string{
		"Terraform v1.16.4\non linux_amd64\n": "Terraform v1.16.4",
		"OpenTofu v1.10.10\non linux_amd64\n": "OpenTofu v1.10.10",
		// OpenTofu 1.12 with a TF_CLI_CONFIG_FILE that does not exist.
		"\nWarning: Unable to open CLI configuration file\n\nThe CLI configuration file at \"/x\" does not exist.\nOpenTofu v1.12.6\non linux_amd64\n": "OpenTofu v1.12.6",
		"something else\n": "",
	} {
		if got := Banner([]byte(out)); got != want {
			t.Errorf("Banner(%q) = %q, want %q", out, got, want)
		}
	}
}
