package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// The runs under each read behaviour of Graph (graphfake.ReadBehaviours):
// apply, a refresh-only plan and destroy of N resources, counting for each
// resource the Graph requests it sent and the round trips of latency it
// waited for (graphfake.RoundTrips). The budgets are ARCHITECTURE.md's: a
// refresh is one round trip of at most 3 requests; an apply, the read before
// the write, the write and the read-back, three round trips of at most 7
// requests with exactly one write; a destroy, the plan's refresh and the
// write; an apply that adopts what Graph holds, one round trip, no write.

// readsRow is one operation of one kind of resource under one behaviour.
type readsRow struct {
	reads                    graphfake.ReadBehaviour
	kind                     string
	op                       string
	requests, rounds, writes perResource
	budget                   budget
}

// budget is what one resource may cost: at most requests and rounds, and
// exactly writes.
type budget struct{ requests, rounds, writes int }

// perResource is the fewest and most of something over the resources.
type perResource struct{ min, max int }

// assignedKind is a kind of assignment resource the runs measure: the
// profile's and the app's, against the same budgets.
type assignedKind struct {
	name string
	// prefix is the route of its objects; the segment after it is the id.
	prefix string
	// workspace makes n resources; adopt makes Graph hold their plan.
	workspace func(b *bench, n int, opts graphfake.Options) (*graphfake.Server, *tfharness.Terraform, string, error)
	adopt     func(srv *graphfake.Server, n int) error
}

var assignedKinds = []assignedKind{
	{
		name:   "intune_ios_lob_provisioning_assignment",
		prefix: "/beta/deviceAppManagement/iosLobAppProvisioningConfigurations/",
		workspace: func(b *bench, n int, opts graphfake.Options) (*graphfake.Server, *tfharness.Terraform, string, error) {
			return b.workspace(n, opts, unpaced)
		},
		adopt: func(srv *graphfake.Server, n int) error {
			for _, r := range tfharness.Resources(n) {
				if err := srv.SetAssignments(r.ConfigurationID, r.Groups, r.Targets); err != nil {
					return err
				}
			}
			return nil
		},
	},
	{
		name:   "intune_ios_lob_app_assignment",
		prefix: "/beta/deviceAppManagement/mobileApps/",
		workspace: func(b *bench, n int, opts graphfake.Options) (*graphfake.Server, *tfharness.Terraform, string, error) {
			return b.workspaceOf(opts, unpaced, func(srv *graphfake.Server) (string, error) {
				resources := tfharness.AppResources(n)
				return tfharness.AppConfiguration(resources), tfharness.SeedApps(srv, resources)
			})
		},
		adopt: func(srv *graphfake.Server, n int) error {
			for _, r := range tfharness.AppResources(n) {
				if err := srv.SetAppAssignments(r.AppID, r.Assignments); err != nil {
					return err
				}
			}
			return nil
		},
	},
}

func (b *bench) readBehaviours(n int) ([]readsRow, error) {
	var rows []readsRow
	for _, reads := range graphfake.ReadBehaviours {
		for _, kind := range assignedKinds {
			r, err := b.readBehaviour(n, reads, kind)
			if err != nil {
				return nil, err
			}
			rows = append(rows, r...)
		}
	}
	return rows, nil
}

func (b *bench) readBehaviour(n int, reads graphfake.ReadBehaviour, kind assignedKind) ([]readsRow, error) {
	fmt.Fprintf(b.log, "N=%d %s, latency %v, Graph reads %s: apply, refresh-only plan, destroy, adopt\n", n, kind.name, b.latency, reads)
	srv, tf, dir, err := kind.workspace(b, n, graphfake.Options{Latency: b.latency, Reads: reads})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	p := fmt.Sprintf("-parallelism=%d", b.parallelism)
	var rows []readsRow
	for _, op := range []struct {
		name   string
		args   []string
		budget budget
	}{
		{"apply", []string{"apply", "-auto-approve", "-input=false", p}, budget{7, 3, 1}},
		{"refresh", []string{"plan", "-refresh-only", "-input=false", p}, budget{3, 1, 0}},
		{"destroy", []string{"destroy", "-auto-approve", "-input=false", p}, budget{4, 2, 1}},
		// An apply that finds every object holding its plan already (an
		// earlier apply interrupted before Terraform saved its state): the
		// read before the write, and no write.
		{"adopt", []string{"apply", "-auto-approve", "-input=false", p}, budget{3, 1, 0}},
	} {
		if op.name == "adopt" {
			if err := kind.adopt(srv, n); err != nil {
				return nil, err
			}
		}
		m, err := b.measure(srv, tf, dir, op.args...)
		if err != nil {
			return nil, err
		}
		row := readsRow{reads: reads, kind: kind.name, op: op.name, budget: op.budget}
		byResource := requestsByObject(m.log, kind.prefix)
		if len(byResource) != n {
			return nil, fmt.Errorf("%s %s under %s: requests for %d objects, want %d", kind.name, op.name, reads, len(byResource), n)
		}
		first := true
		for _, log := range byResource {
			writes := graphfake.Summarize(log).Writes
			row.requests = widen(row.requests, len(log), first)
			row.rounds = widen(row.rounds, graphfake.RoundTrips(log), first)
			row.writes = widen(row.writes, writes, first)
			first = false
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func widen(r perResource, v int, first bool) perResource {
	if first {
		return perResource{v, v}
	}
	return perResource{min(r.min, v), max(r.max, v)}
}

// requestsByObject groups the Graph requests of a log by the object whose
// route, below prefix, they went to.
func requestsByObject(log []graphfake.Request, prefix string) map[string][]graphfake.Request {
	out := map[string][]graphfake.Request{}
	for _, r := range log {
		rest, ok := strings.CutPrefix(r.Path, prefix)
		if r.IsToken() || !ok {
			continue
		}
		id, _, _ := strings.Cut(rest, "/")
		out[strings.ToLower(id)] = append(out[strings.ToLower(id)], r)
	}
	return out
}

func (r perResource) String() string {
	if r.min == r.max {
		return fmt.Sprint(r.max)
	}
	return fmt.Sprintf("%d-%d", r.min, r.max)
}

// printReads prints the table and fails when a budget is missed.
func (b *bench) printReads(rows []readsRow) error {
	if len(rows) == 0 {
		return nil
	}
	fmt.Printf("\nUnder each read behaviour of Graph (ARCHITECTURE.md, \"Reads\"), N=%d, latency %v, -parallelism=%d: per resource, the fewest-most Graph requests, round trips waited for and writes.\n\n",
		b.readsN, b.latency, b.parallelism)
	fmt.Println("| Graph reads | resource | operation | requests per resource | round trips per resource | writes per resource | budget | within |")
	fmt.Println("|---|---|---|---:|---:|---:|---|---|")
	var missed []string
	for _, r := range rows {
		ok := r.requests.max <= r.budget.requests && r.rounds.max <= r.budget.rounds && r.writes == perResource{r.budget.writes, r.budget.writes}
		verdict := "yes"
		if !ok {
			verdict = "**no**"
			missed = append(missed, string(r.reads)+" "+r.kind+" "+r.op)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | <= %d requests, <= %d round trips, %d write(s) | %s |\n",
			r.reads, r.kind, r.op, r.requests, r.rounds, r.writes, r.budget.requests, r.budget.rounds, r.budget.writes, verdict)
	}
	if len(missed) > 0 {
		return errors.New("over budget: " + strings.Join(missed, ", "))
	}
	return nil
}
