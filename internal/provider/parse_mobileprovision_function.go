package provider

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision"
)

var _ function.Function = parseMobileprovisionFunction{}

// parseMobileprovisionFunction is provider::intune::parse_mobileprovision:
// what a profile says about itself, for outputs and check blocks. It reads
// only its argument, so it needs no configured provider and no Graph.
type parseMobileprovisionFunction struct{}

func newParseMobileprovisionFunction() function.Function { return parseMobileprovisionFunction{} }

func (parseMobileprovisionFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "parse_mobileprovision"
}

func (parseMobileprovisionFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Read an Apple provisioning profile: its name, team, App ID, expiry and developer certificates.",
		MarkdownDescription: "Reads a `.mobileprovision` file (a CMS signed message holding a property list, as Apple issues it) " +
			"or its bare XML property list, given in base64 as `filebase64()` gives it, and returns what the profile says about itself. " +
			"A profile that has expired is still read: the function reports dates, and a `check` block or a precondition decides what they mean. " +
			"Anything that is not a profile (another file, a truncated download, a profile without `ExpirationDate`) is an error that says what is wrong.\n\n" +
			"The object it returns has these attributes:\n\n" + profileAttributesMarkdown() + "\n" +
			"Provider functions need Terraform 1.8 or later, or OpenTofu 1.7 or later.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "payload",
				MarkdownDescription: "The profile's content in standard base64, such as `filebase64(\"sales.mobileprovision\")`.",
			},
		},
		Return: function.ObjectReturn{AttributeTypes: profileAttributeTypes()},
	}
}

func (parseMobileprovisionFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var payload string
	if resp.Error = req.Arguments.Get(ctx, &payload); resp.Error != nil {
		return
	}
	// The same check as the resource's payload attribute. Terraform puts
	// `Invalid value for "payload" parameter: ` before the text and a full
	// stop after it.
	if err := graph.CheckBase64(payload); err != nil {
		resp.Error = function.NewArgumentFuncError(0, fmt.Sprintf("it must be the profile's content in standard base64, as filebase64(\"sales.mobileprovision\") gives it, but %s", err))
		return
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil { // CheckBase64 refuses what this would
		resp.Error = function.NewArgumentFuncError(0, fmt.Sprintf("it is not standard base64: %s", err))
		return
	}
	p, err := mobileprovision.Parse(data)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, fmt.Sprintf("%s. It must be %s", err, profileForm))
		return
	}
	profile, diags := profileValue(p)
	if diags.HasError() {
		resp.Error = function.FuncErrorFromDiags(ctx, diags)
		return
	}
	resp.Error = resp.Result.Set(ctx, profile)
}
