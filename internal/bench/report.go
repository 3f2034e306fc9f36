package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Report files written in the output directory.
const (
	ResultsFile     = "results.json"
	MarkdownFile    = "report.md"
	HTMLFile        = "report.html"
	LatencyChart    = "latency.svg"
	ThroughputChart = "throughput.svg"
)

// WriteReports writes results.json, report.md, report.html and the two SVG charts.
func WriteReports(dir string, rep *Report) error {
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encode results: %w", err)
	}
	latency, throughput := latencySVG(rep.Results), throughputSVG(rep.Results)
	page, err := reportHTML(rep, latency, throughput)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{ResultsFile, append(js, '\n')},
		{LatencyChart, []byte(latency)},
		{ThroughputChart, []byte(throughput)},
		{MarkdownFile, []byte(reportMarkdown(rep))},
		{HTMLFile, page},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("bench: write %s: %w", f.name, err)
		}
	}
	return nil
}

// summaryLines describe the run, for the head of both reports.
func summaryLines(rep *Report) [][2]string {
	server := rep.Target.URL
	if rep.Target.Started {
		server += " (started by the tool, " + rep.Target.Database + ")"
	}
	version := "MISP API " + rep.Server.Version
	if rep.Server.CairnVersion != "" {
		version += ", Cairn " + rep.Server.CairnVersion
	}
	m := rep.Machine
	machine := fmt.Sprintf("%d CPUs, %s/%s, %s", m.CPUs, m.OS, m.Arch, m.Go)
	if m.CPU != "" {
		machine = m.CPU + ", " + machine
	}
	var scales []string
	for _, s := range rep.Profile.Scales {
		scales = append(scales, formatScale(s))
	}
	w := rep.Written
	lines := [][2]string{
		{"Tool", rep.Tool},
		{"Run", rep.Started.Format(time.RFC3339) + ", " +
			rep.Finished.Sub(rep.Started).Round(time.Second).String()},
		{"Server", server},
		{"Server version", version},
		{"Machine (client and server share it when the tool starts the server)", machine},
		{"Profile", fmt.Sprintf("%s: scales %s, seed %d, run id %s", rep.Profile.Name,
			strings.Join(scales, ", "), rep.Seed, rep.RunID)},
		{"Data", fmt.Sprintf("generated %s events (%s attributes); the server acknowledged "+
			"%s events (%s attributes); %d without a clear answer",
			formatCount(rep.Generated.Events), formatCount(rep.Generated.Attributes),
			formatCount(int64(w.Events)), formatCount(w.Attributes), w.Uncertain)},
	}
	if rep.Cleanup != nil {
		lines = append(lines, [2]string{"Cleanup", fmt.Sprintf("%d deleted, %d absent, %d failed",
			rep.Cleanup.Deleted, rep.Cleanup.Absent, rep.Cleanup.Failed)})
	}
	if rep.Interrupted {
		lines = append(lines, [2]string{"Interrupted", "yes: the figures cover part of the run"})
	}
	if v := rep.Verified; v != nil {
		text := fmt.Sprintf("%d of %d events read back whole", v.Whole, v.Events)
		if !v.Complete() {
			text += "; " + v.problem()
		}
		lines = append(lines, [2]string{"Events read back", text})
	}
	if c := rep.Check; c != nil {
		text := "passed: no errors, every scenario ran, every event written is whole"
		if !c.Passed {
			text = fmt.Sprintf("failed, %d problems: %s", len(c.Problems),
				strings.Join(c.Problems, "; "))
		}
		lines = append(lines, [2]string{"Check (errors and data, not speed)", text})
	}
	return lines
}

// tableHeader and tableRow give the columns of the results table.
var tableHeader = []string{"Scenario", "Variant", "Scale", "Clients", "Requests", "Errors",
	"Throughput", "p50", "p95", "p99", "Server RSS peak / end", "Status"}

func tableRow(r Result) []string {
	if r.Requests == 0 {
		return []string{r.Scenario, r.Variant, formatScale(r.Scale), "", "", "", "", "", "",
			"", "", r.Status + ": " + r.Note}
	}
	mem := "n/a"
	if r.Memory != nil {
		mem = formatBytes(r.Memory.PeakRSS) + " / " + formatBytes(r.Memory.EndRSS)
	}
	status := r.Status
	if r.Note != "" {
		status += ": " + r.Note
	}
	if d := details(r); d != "" && r.OK > 0 {
		status += "; " + d
	}
	rate, p50, p95, p99 := "–", "–", "–", "–" // no success, nothing to time
	if r.OK > 0 {
		rate = throughputText(r)
		p50, p95, p99 = formatMS(r.Latency.P50), formatMS(r.Latency.P95), formatMS(r.Latency.P99)
	}
	return []string{r.Scenario, r.Variant, formatScale(r.Scale), strconv.Itoa(r.Clients),
		formatCount(r.Requests), formatErrors(r.Errors), rate, p50, p95, p99, mem, status}
}

// details are the counts that say what a scenario's answers held.
func details(r Result) string {
	c := r.Counts
	switch r.Scenario {
	case "search-exact":
		return fmt.Sprintf("%s searches found a match; %s searched a value this run wrote",
			formatCount(c["hits"]), formatCount(c["expected_hits"]))
	case "search-bulk":
		return fmt.Sprintf("found %s of the %s listed IPs this run wrote",
			formatCount(c["values_found"]), formatCount(c["expected_values_found"]))
	case "related":
		return fmt.Sprintf("%s related events in the answer", formatCount(c["related_events"]))
	case "view":
		if r.OK > 0 {
			return fmt.Sprintf("%s KiB per answer", formatCount(c["bytes"]/r.OK/1024))
		}
	}
	return ""
}

// sizeRows lists the ingest latencies by event size class.
func sizeRows(results []Result) [][]string {
	var rows [][]string
	for _, r := range results {
		if r.Scenario != "ingest" || len(r.LatencyBy) == 0 {
			continue
		}
		for _, class := range []string{"small", "medium", "large"} {
			l, ok := r.LatencyBy[class]
			if !ok {
				continue
			}
			rows = append(rows, []string{r.Variant, formatScale(r.Scale), strconv.Itoa(r.Clients),
				class, formatMS(l.P50), formatMS(l.P95), formatMS(l.P99), formatMS(l.Max)})
		}
	}
	return rows
}

var sizeHeader = []string{"Variant", "Scale", "Clients", "Event size", "p50", "p95", "p99",
	"max"}

func reportMarkdown(rep *Report) string {
	var b strings.Builder
	b.WriteString("# Cairn benchmark report\n\n")
	for _, l := range summaryLines(rep) {
		fmt.Fprintf(&b, "- **%s**: %s\n", l[0], mdCell(l[1]))
	}
	b.WriteString("\nLatencies are those of successful requests; failures are counted under " +
		"Errors by HTTP status or as timeout/network. Event sizes: small < 100 attributes, " +
		"medium < 10,000, large above.\n\n")
	mdTable(&b, tableHeader, rowsOf(rep.Results))
	if rows := sizeRows(rep.Results); len(rows) > 0 {
		b.WriteString("\n## Ingest latency by event size\n\n")
		mdTable(&b, sizeHeader, rows)
	}
	b.WriteString("\n## Charts\n\n![Latency percentiles by scale](" + LatencyChart + ")\n\n" +
		"![Throughput by concurrency](" + ThroughputChart + ")\n")
	return b.String()
}

func rowsOf(results []Result) [][]string {
	rows := make([][]string, 0, len(results))
	for _, r := range results {
		rows = append(rows, tableRow(r))
	}
	return rows
}

func mdTable(b *strings.Builder, header []string, rows [][]string) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = mdCell(c)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Cairn benchmark report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
dt { font-weight: bold; } dd { margin: 0 0 0.4em 1em; }
figure { margin: 1.5em 0; }
</style>
</head>
<body>
<h1>Cairn benchmark report</h1>
<dl>{{range .Summary}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl>
<p>Latencies are those of successful requests; failures are counted under Errors by HTTP
status or as timeout/network. Event sizes: small &lt; 100 attributes, medium &lt; 10,000,
large above. The raw figures are in <a href="results.json">results.json</a>.</p>
<table>
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{if .SizeRows}}<h2>Ingest latency by event size</h2>
<table>
<tr>{{range .SizeHeader}}<th>{{.}}</th>{{end}}</tr>
{{range .SizeRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
<h2>Charts</h2>
<figure>{{.Latency}}
<figcaption>Latency percentiles by scale (<a href="latency.svg">SVG</a>)</figcaption></figure>
<figure>{{.Throughput}}
<figcaption>Throughput by concurrency (<a href="throughput.svg">SVG</a>)</figcaption></figure>
</body>
</html>
`))

func reportHTML(rep *Report, latency, throughput string) ([]byte, error) {
	var b bytes.Buffer
	err := pageTemplate.Execute(&b, map[string]any{
		"Summary": summaryLines(rep), "Header": tableHeader, "Rows": rowsOf(rep.Results),
		"SizeHeader": sizeHeader, "SizeRows": sizeRows(rep.Results),
		// The charts are SVG this package wrote and escaped itself.
		"Latency": template.HTML(latency), "Throughput": template.HTML(throughput), //nolint:gosec
	})
	if err != nil {
		return nil, fmt.Errorf("bench: report.html: %w", err)
	}
	return b.Bytes(), nil
}
