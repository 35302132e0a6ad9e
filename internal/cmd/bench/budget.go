package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// The runs against Intune's write limit: apply, update and destroy of N
// resources (200) with the provider's default budget, against the
// emulator's model of Intune's limits (100 writes and 1000 requests per 20 s
// per application) under each reading of the window, at -throttled-latency
// (50 ms). Each operation starts with Intune's window empty, as when runs are
// more than 20 s apart (back to back, an operation also waits out the writes
// of the one before; TestAccLoad_intuneThrottle covers that, with 200
// resources in `make reliability`). Each must finish
// within 1.25 x (T0 + the larger of its window floor and its round-trip
// floor), with at most 5 429s and no error. T0 is the same operation with
// no latency and no limit (Terraform's own work); the window floor is the
// windows the writes need beyond the first, (ceil(writes/100) - 1) x 20 s;
// the round-trip floor is rounds x N x latency / parallelism. Then an apply
// of -unthrottled-n (100) with no limit at -latency (150 ms), within 1.25 x
// (T0 + its round-trip floor).

// Round trips per resource: apply reads first, assigns and reads back;
// update refreshes, assigns and reads back; destroy refreshes and assigns.
var opRounds = map[string]int{"apply": 3, "update": 3, "destroy": 2}

const (
	budgetFactor = 1.25
	most429s     = 5
	intuneWrites = 100
	intuneWindow = 20 * time.Second
)

// Figures of the provider before the budget limiter (BENCHMARKS.md): 200
// resources at 50 ms, apply, update and destroy; 100 at 150 ms, no limit.
var before = map[string]string{"apply": "45.5 s", "update": "48.9 s", "destroy": "48.9 s", "unthrottled apply": "22.8 s"}

type budgetRow struct {
	model         string // "" for no limit
	op            string
	n             int
	latency       time.Duration
	wall, t0      time.Duration
	writes, _429s int
	windowFloor   time.Duration
	rtFloor       time.Duration
}

func (r budgetRow) budget() time.Duration {
	return time.Duration(budgetFactor * float64(r.t0+max(r.windowFloor, r.rtFloor)))
}

func (r budgetRow) within() bool { return r.wall <= r.budget() && r._429s <= most429s }

func (b *bench) writeBudget() ([]budgetRow, error) {
	var rows []budgetRow
	if n := b.throttledN; n > 0 {
		fmt.Fprintf(b.log, "N=%d, no latency, no limit: apply, update, destroy (T0)\n", n)
		t0, err := b.threeOps(n, graphfake.Options{}, unpaced)
		if err != nil {
			return nil, err
		}
		for _, model := range []graphfake.ThrottleModel{graphfake.ThrottleTokenBucket, graphfake.ThrottleSlidingWindow} {
			fmt.Fprintf(b.log, "N=%d, latency %v, Intune's limit (%s), default budget: apply, update, destroy\n", n, b.throttledLatency, model)
			limit := graphfake.IntuneWriteLimit()
			limit.Model = model
			ms, err := b.threeOps(n, graphfake.Options{Latency: b.throttledLatency, WriteLimit: &limit}, "")
			if err != nil {
				return nil, err
			}
			for i, op := range []string{"apply", "update", "destroy"} {
				rows = append(rows, b.budgetRow(string(model), op, n, b.throttledLatency, ms[i], t0[i]))
			}
		}
	}
	if n := b.unthrottledN; n > 0 {
		fmt.Fprintf(b.log, "N=%d, no limit, default budget: apply at latency 0 (T0) and %v\n", n, b.latency)
		var ms [2]measurement
		for i, lat := range []time.Duration{0, b.latency} {
			srv, tf, dir, err := b.workspace(n, graphfake.Options{Latency: lat}, "")
			if err != nil {
				return nil, err
			}
			ms[i], err = b.measure(srv, tf, dir, "apply", "-auto-approve", "-input=false", fmt.Sprintf("-parallelism=%d", b.parallelism))
			srv.Close()
			if err != nil {
				return nil, err
			}
		}
		rows = append(rows, b.budgetRow("", "apply", n, b.latency, ms[1], ms[0]))
	}
	return rows, nil
}

func (b *bench) budgetRow(model, op string, n int, latency time.Duration, m, t0 measurement) budgetRow {
	r := budgetRow{model: model, op: op, n: n, latency: latency, wall: m.res.Wall, t0: t0.res.Wall, writes: m.stats.Writes, _429s: m.stats.Throttled}
	if model != "" {
		accepted := r.writes - r._429s
		r.windowFloor = time.Duration(max(0, math.Ceil(float64(accepted)/intuneWrites)-1)) * intuneWindow
	}
	r.rtFloor = time.Duration(float64(opRounds[op]*n) * float64(latency) / float64(b.parallelism))
	return r
}

// threeOps applies n resources, updates every one of them (a group more)
// and destroys them, back to back in one workspace.
func (b *bench) threeOps(n int, opts graphfake.Options, providerBlock string) ([3]measurement, error) {
	var out [3]measurement
	srv, tf, dir, err := b.workspace(n, opts, providerBlock)
	if err != nil {
		return out, err
	}
	defer srv.Close()
	freshWindow := func() {
		if opts.WriteLimit != nil {
			srv.SetWriteLimit(opts.WriteLimit)
		}
	}
	p := fmt.Sprintf("-parallelism=%d", b.parallelism)
	if out[0], err = b.measure(srv, tf, dir, "apply", "-auto-approve", "-input=false", p); err != nil {
		return out, err
	}
	main := filepath.Join(dir, "main.tf")
	config, err := os.ReadFile(main)
	if err != nil {
		return out, err
	}
	if err := os.WriteFile(main, []byte(withOneMoreGroup(string(config))), 0o644); err != nil {
		return out, err
	}
	freshWindow()
	if out[1], err = b.measure(srv, tf, dir, "apply", "-auto-approve", "-input=false", p); err != nil {
		return out, err
	}
	if updates := graphfake.Summarize(out[1].log).Writes; updates < n {
		return out, fmt.Errorf("the update wrote %d times for %d resources", updates, n)
	}
	freshWindow()
	out[2], err = b.measure(srv, tf, dir, "destroy", "-auto-approve", "-input=false", p)
	return out, err
}

var configurationLine = regexp.MustCompile(`(?m)^  configuration_id = "([0-9a-f-]+)"\n`)

// withOneMoreGroup adds a group block to every resource of a configuration.
func withOneMoreGroup(config string) string {
	return configurationLine.ReplaceAllStringFunc(config, func(line string) string {
		id := configurationLine.FindStringSubmatch(line)[1]
		return line + fmt.Sprintf("  group {\n    group_id = %q\n  }\n", "eeeeeeee"+id[8:])
	})
}

func (b *bench) printBudgets(rows []budgetRow) error {
	if len(rows) == 0 {
		return nil
	}
	fmt.Printf("\nThe write budget (default: %d writes per %v, usable at once), -parallelism=%d. Budget = %.2f x (T0 + max(window floor, round-trip floor)), at most %d 429s.\n",
		intuneWrites, intuneWindow, b.parallelism, budgetFactor, most429s)
	fmt.Printf("Window floor = (ceil(writes / %d) - 1) x %v; round-trip floor = rounds x N x latency / parallelism (rounds: apply 3, update 3, destroy 2).\n\n", intuneWrites, intuneWindow)
	fmt.Println("| Intune's limit | operation | N | latency | wall | before | T0 | window floor | round-trip floor | budget | writes | 429s | within |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	var missed []string
	for _, r := range rows {
		model, was := r.model, before[r.op]
		if model == "" {
			model, was = "none", before["unthrottled apply"]
		}
		verdict := "yes"
		if !r.within() {
			verdict = "**no**"
			missed = append(missed, model+" "+r.op)
		}
		fmt.Printf("| %s | %s | %d | %v | %s | %s | %s | %s | %s | %s | %d | %d | %s |\n", model, r.op, r.n, r.latency, secs(r.wall), was,
			secs(r.t0), secs(r.windowFloor), secs(r.rtFloor), secs(r.budget()), r.writes, r._429s, verdict)
	}
	if len(missed) > 0 {
		return errors.New("over budget: " + strings.Join(missed, ", "))
	}
	return nil
}
