package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-version"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// A team adopting what the portal made: `terraform query
// -generate-config-out` with the list resources' examples writes the
// configuration of every configuration, every assignment set and every
// in-house app they find, and the plan of that configuration proposes only
// imports. Applying it writes nothing to Graph. An app's generated
// file_path is the name of the file Intune holds: the team has the .ipa of
// that build there, and the plan reads it and uploads nothing.
// terraform-plugin-testing's Query steps cannot generate configuration, so
// this drives the CLI itself.
func TestAccQuery_generateConfigProposesOnlyImports(t *testing.T) {
	w := newWorkspace(t, graphfake.Options{PageSize: 1})
	cli, err := tfharness.Identify(w.tf.Path)
	if err != nil {
		t.Fatal(err)
	}
	if reason := withoutQuery(cli); reason != "" {
		t.Skip(reason)
	}
	// Three configurations made in the portal, two of them assigned; one
	// of another team, which the prefix leaves out.
	resources := tfharness.Resources(3)
	for i, r := range resources {
		w.srv.AddConfiguration(r.ConfigurationID, "Sales profile "+string(rune('a'+i)))
	}
	for _, r := range resources[:2] {
		if err := w.srv.SetAssignments(r.ConfigurationID, r.Groups, r.Targets); err != nil {
			t.Fatal(err)
		}
	}
	other := tfharness.Resources(4)[3]
	w.srv.AddConfiguration(other.ConfigurationID, "Support profile")
	if err := w.srv.SetAssignments(other.ConfigurationID, other.Groups, other.Targets); err != nil {
		t.Fatal(err)
	}

	// Two apps made in the portal, whose builds the team has where the
	// generated configuration will look (the working directory); one of
	// another team.
	ca := mobileprovisiontest.NewCA(t)
	apps := map[string]string{"Sales app a": "SalesA.ipa", "Sales app b": "SalesB.ipa", "Support app": "Support.ipa"}
	for name, file := range apps {
		path := filepath.Join(w.dir, file)
		b := writeBuild(t, ca, path, "com.example."+strings.TrimSuffix(file, ".ipa"), "12", 0)
		addPortalApp(t, w.srv, path, name, b.expires)
	}

	w.writeConfig("provider \"intune\" {}\n")
	// The query is the list resources' examples, as the registry shows them.
	var query strings.Builder
	for _, name := range []string{"intune_ios_lob_provisioning_configuration", "intune_ios_lob_provisioning_assignment", "intune_ios_lob_app"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "list-resources", name, "list-resource.tfquery.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		query.Write(b)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "find.tfquery.hcl"), []byte(query.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	w.run([]string{"init", "-input=false"})
	res := w.run([]string{"query", "-generate-config-out=generated.tf"})
	t.Logf("terraform query -generate-config-out=generated.tf:\n%s", res.Output)
	for i := range resources {
		name := "Sales profile " + string(rune('a'+i))
		if !strings.Contains(res.Output, name) {
			t.Errorf("the query does not list %q:\n%s", name, res.Output)
		}
		assigned := i < 2
		if listed := strings.Contains(res.Output, "Assignments of "+name); listed != assigned {
			t.Errorf("the query lists the assignments of %q: %v, want %v:\n%s", name, listed, assigned, res.Output)
		}
	}
	for _, name := range []string{"Sales app a", "Sales app b"} {
		if !strings.Contains(res.Output, name) {
			t.Errorf("the query does not list the app %q:\n%s", name, res.Output)
		}
	}
	if strings.Contains(res.Output, "Support profile") || strings.Contains(res.Output, "Support app") {
		t.Errorf("the query lists a configuration or an app without the prefix:\n%s", res.Output)
	}
	generated, err := os.ReadFile(filepath.Join(w.dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(generated), "import {"); n != 7 {
		t.Errorf("generated.tf has %d import blocks, want 7 (3 configurations, 2 assignment sets, 2 apps):\n%s", n, generated)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(generated)), " "), `file_path = "SalesA.ipa"`) {
		t.Errorf("generated.tf does not take the app's file_path from the name of the file Intune holds:\n%s", generated)
	}
	if err := os.Remove(filepath.Join(w.dir, "find.tfquery.hcl")); err != nil { // the plan needs only what was generated
		t.Fatal(err)
	}

	res = w.run([]string{"plan", "-input=false"})
	if !strings.Contains(res.Output, "Plan: 7 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("the plan of the generated configuration is not imports only:\n%s\n\ngenerated.tf:\n%s", res.Output, generated)
	}
	graphRequests := func(write bool) int { // the token requests are POSTs too
		n := 0
		for _, r := range w.srv.Requests() {
			if (r.Method != "GET") == write && strings.Contains(r.Path, "/deviceAppManagement/") {
				n++
			}
		}
		return n
	}
	writes := func() int { return graphRequests(true) }
	t.Logf("terraform plan:\n%s", res.Output)
	before := writes()
	if graphRequests(false) == 0 {
		t.Fatal("the emulator logged no read of Graph: the count of writes below would tell nothing")
	}
	w.run([]string{"apply", "-auto-approve", "-input=false"})
	if n := writes() - before; n != 0 {
		t.Errorf("applying the imports wrote %d times to Graph, want 0", n)
	}
	res = w.run([]string{"plan", "-input=false", "-detailed-exitcode"})
	if !strings.Contains(res.Output, "No changes.") {
		t.Errorf("the plan after the imports is not empty:\n%s", res.Output)
	}
	checkHolds(t, w.srv, resources[:2], false)
	checkHolds(t, w.srv, []tfharness.Resource{other}, false)
}

// addPortalApp adds an app named name to srv as the portal makes it from
// the .ipa at path: its content committed and published, the file's name
// as fileName, and expires as expirationDateTime, as this provider's upload
// sets it from the embedded profile. (An app whose expiry in Intune is
// another plans, with its import, an update of expiration_date_time.)
func addPortalApp(t *testing.T, srv *graphfake.Server, path, name string, expires time.Time) {
	t.Helper()
	ipa, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := srv.AddIOSLobApp(graphfake.IOSLobAppSeed{DisplayName: name, FileName: filepath.Base(path), IPA: ipa})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.EditIOSLobApp(id, func(a *graphfake.IOSLobAppState) { a.Expiration = expires }); err != nil {
		t.Fatal(err)
	}
}

// withoutQuery is why cli cannot run `terraform query`, or "" if it can:
// list resources came in Terraform 1.14, and OpenTofu has no query command.
func withoutQuery(cli tfharness.CLI) string {
	if cli.Name != "terraform" {
		return cli.Banner + " has no `query` command (Terraform 1.14+ only)"
	}
	v, err := version.NewVersion(strings.TrimPrefix(cli.Banner, "Terraform v"))
	if err != nil {
		return "cannot read the version of " + cli.Banner
	}
	if v.LessThan(version.Must(version.NewVersion("1.14.0"))) {
		return cli.Banner + " has no `query` command (Terraform 1.14+)"
	}
	return ""
}
