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

// readsRow is one operation under one behaviour.
type readsRow struct {
	reads                    graphfake.ReadBehaviour
	op                       string
	requests, rounds, writes perResource
	budget                   budget
}

// budget is what one resource may cost: at most requests and rounds, and
// exactly writes.
type budget struct{ requests, rounds, writes int }

// perResource is the fewest and most of something over the resources.
type perResource struct{ min, max int }

func (b *bench) readBehaviours(n int) ([]readsRow, error) {
	var rows []readsRow
	for _, reads := range graphfake.ReadBehaviours {
		fmt.Fprintf(b.log, "N=%d, latency %v, Graph reads %s: apply, refresh-only plan, destroy\n", n, b.latency, reads)
		srv, tf, dir, err := b.workspace(n, graphfake.Options{Latency: b.latency, Reads: reads}, unpaced)
		if err != nil {
			return nil, err
		}
		p := fmt.Sprintf("-parallelism=%d", b.parallelism)
		for _, op := range []struct {
			name   string
			args   []string
			budget budget
		}{
			{"apply", []string{"apply", "-auto-approve", "-input=false", p}, budget{7, 3, 1}},
			{"refresh", []string{"plan", "-refresh-only", "-input=false", p}, budget{3, 1, 0}},
			{"destroy", []string{"destroy", "-auto-approve", "-input=false", p}, budget{4, 2, 1}},
			// An apply that finds every configuration holding its plan
			// already (an earlier apply interrupted before Terraform saved
			// its state): the read before the write, and no write.
			{"adopt", []string{"apply", "-auto-approve", "-input=false", p}, budget{3, 1, 0}},
		} {
			if op.name == "adopt" {
				for _, r := range tfharness.Resources(n) {
					if err := srv.SetAssignments(r.ConfigurationID, r.Groups, r.Targets); err != nil {
						srv.Close()
						return nil, err
					}
				}
			}
			m, err := b.measure(srv, tf, dir, op.args...)
			if err != nil {
				srv.Close()
				return nil, err
			}
			row := readsRow{reads: reads, op: op.name, budget: op.budget}
			byResource := requestsByConfiguration(m.log)
			if len(byResource) != n {
				srv.Close()
				return nil, fmt.Errorf("%s under %s: requests for %d configurations, want %d", op.name, reads, len(byResource), n)
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
		srv.Close()
	}
	return rows, nil
}

func widen(r perResource, v int, first bool) perResource {
	if first {
		return perResource{v, v}
	}
	return perResource{min(r.min, v), max(r.max, v)}
}

// requestsByConfiguration groups the Graph requests of a log by the
// configuration whose route they went to.
func requestsByConfiguration(log []graphfake.Request) map[string][]graphfake.Request {
	const prefix = "/beta/deviceAppManagement/iosLobAppProvisioningConfigurations/"
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
	fmt.Println("| Graph reads | operation | requests per resource | round trips per resource | writes per resource | budget | within |")
	fmt.Println("|---|---|---:|---:|---:|---|---|")
	var missed []string
	for _, r := range rows {
		ok := r.requests.max <= r.budget.requests && r.rounds.max <= r.budget.rounds && r.writes == perResource{r.budget.writes, r.budget.writes}
		verdict := "yes"
		if !ok {
			verdict = "**no**"
			missed = append(missed, string(r.reads)+" "+r.op)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | <= %d requests, <= %d round trips, %d write(s) | %s |\n",
			r.reads, r.op, r.requests, r.rounds, r.writes, r.budget.requests, r.budget.rounds, r.budget.writes, verdict)
	}
	if len(missed) > 0 {
		return errors.New("over budget: " + strings.Join(missed, ", "))
	}
	return nil
}
