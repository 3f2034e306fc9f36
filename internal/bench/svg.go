package bench

import (
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The charts are plain SVG written by hand: no dependency, and a file any browser shows.

var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

type svgDoc struct{ b strings.Builder }

func newSVG(w, h int, title string) *svgDoc {
	d := &svgDoc{}
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" `+
		`viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	d.b.WriteString("<title>")
	d.escape(title)
	d.b.WriteString("</title>\n")
	fmt.Fprintf(&d.b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	return d
}

func (d *svgDoc) escape(s string) { _ = xml.EscapeText(&d.b, []byte(s)) }

// text writes s at (x, y); attrs are extra attributes written by this package.
func (d *svgDoc) text(x, y float64, s, attrs string) {
	fmt.Fprintf(&d.b, `<text x="%s" y="%s" %s>`, num(x), num(y), attrs)
	d.escape(s)
	d.b.WriteString("</text>\n")
}

func (d *svgDoc) line(x1, y1, x2, y2 float64, stroke string, width float64) {
	fmt.Fprintf(&d.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"/>`+
		"\n", num(x1), num(y1), num(x2), num(y2), stroke, num(width))
}

func (d *svgDoc) rect(x, y, w, h float64, fill string) {
	fmt.Fprintf(&d.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n",
		num(x), num(y), num(max(w, 0)), num(max(h, 0)), fill)
}

func (d *svgDoc) circle(x, y, r float64, fill string) {
	fmt.Fprintf(&d.b, `<circle cx="%s" cy="%s" r="%s" fill="%s"/>`+"\n", num(x), num(y),
		num(r), fill)
}

func (d *svgDoc) polyline(pts [][2]float64, stroke string) {
	var p []string
	for _, pt := range pts {
		p = append(p, num(pt[0])+","+num(pt[1]))
	}
	fmt.Fprintf(&d.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n",
		strings.Join(p, " "), stroke)
}

func (d *svgDoc) end() string {
	d.b.WriteString("</svg>\n")
	return d.b.String()
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// measured reports whether a result has latencies and rates to draw.
func measured(r Result) bool {
	return (r.Status == StatusOK || r.Status == StatusInterrupted) && r.OK > 0
}

// latencySVG draws, for every read scenario and variant, one bar per scale: the bar
// reaches p50, a wide tick marks p95 and a dot p99, on a logarithmic axis.
func latencySVG(results []Result) string {
	type group struct {
		label string
		by    map[int64]Result
	}
	var groups []*group
	index := map[string]*group{}
	var scales []int64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range results {
		if r.Scenario == "ingest" || !measured(r) {
			continue
		}
		key := fmt.Sprintf("%s %s c=%d", r.Scenario, r.Variant, r.Clients)
		g := index[key]
		if g == nil {
			g = &group{label: key, by: map[int64]Result{}}
			index[key] = g
			groups = append(groups, g)
		}
		if _, dup := g.by[r.Scale]; !dup {
			g.by[r.Scale] = r
		}
		if !slices.Contains(scales, r.Scale) {
			scales = append(scales, r.Scale)
		}
		lo = min(lo, max(r.Latency.P50, 0.001))
		hi = max(hi, max(r.Latency.P99, 0.001))
	}
	slices.Sort(scales)

	const left, top, bottom, plotH, barW, groupGap = 130.0, 72.0, 150.0, 260.0, 14.0, 22.0
	groupW := float64(len(scales))*(barW+2) + groupGap
	width := int(max(left+float64(len(groups))*groupW+30, 480))
	height := int(top + plotH + bottom)
	d := newSVG(width, height, "Latency percentiles by scale")
	d.text(float64(width)/2, 22, "Latency percentiles by scale",
		`text-anchor="middle" font-size="15" font-weight="bold"`)
	if len(groups) == 0 {
		d.text(float64(width)/2, top+plotH/2, "no successful reads to draw",
			`text-anchor="middle" fill="#666"`)
		return d.end()
	}

	loExp, hiExp := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if hiExp <= loExp {
		hiExp = loExp + 1
	}
	y := func(ms float64) float64 {
		f := (math.Log10(max(ms, 0.001)) - loExp) / (hiExp - loExp)
		return top + plotH - min(max(f, 0), 1)*plotH
	}
	for e := loExp; e <= hiExp; e++ {
		yy := y(math.Pow(10, e))
		d.line(left, yy, float64(width)-20, yy, "#ddd", 1)
		d.text(left-6, yy+4, formatMS(math.Pow(10, e)), `text-anchor="end" fill="#444"`)
	}
	d.line(left, top, left, top+plotH, "#444", 1)
	d.line(left, top+plotH, float64(width)-20, top+plotH, "#444", 1)
	d.text(left-56, top+plotH/2, "latency (log scale)",
		fmt.Sprintf(`text-anchor="middle" transform="rotate(-90 %s %s)"`, num(left-56),
			num(top+plotH/2)))

	for gi, g := range groups {
		x0 := left + groupGap/2 + float64(gi)*groupW
		for si, scale := range scales {
			r, ok := g.by[scale]
			if !ok {
				continue
			}
			x := x0 + float64(si)*(barW+2)
			color := palette[si%len(palette)]
			d.rect(x, y(r.Latency.P50), barW, top+plotH-y(r.Latency.P50), color)
			cx := x + barW/2
			d.line(cx, y(r.Latency.P50), cx, y(r.Latency.P99), "#333", 1)
			d.line(x, y(r.Latency.P95), x+barW, y(r.Latency.P95), "#333", 2)
			d.circle(cx, y(r.Latency.P99), 2.5, "#333")
		}
		lx, ly := x0+groupW/2-groupGap/2, top+plotH+12
		d.text(lx, ly, g.label, fmt.Sprintf(`text-anchor="end" transform="rotate(-40 %s %s)"`,
			num(lx), num(ly)))
	}

	// Legend: one swatch per scale, then how to read a bar.
	lx := left
	for si, scale := range scales {
		d.rect(lx, 34, 10, 10, palette[si%len(palette)])
		d.text(lx+14, 43, formatScale(scale)+" attributes", "")
		lx += 140
	}
	d.text(left, 60, "bar: p50, wide tick: p95, dot: p99", `fill="#444"`)
	return d.end()
}

// throughputSVG draws one panel per scenario: throughput against the number of clients,
// one line per variant and scale. Ingest shows attributes per second, the others
// requests per second.
func throughputSVG(results []Result) string {
	type series struct {
		label  string
		points map[int]float64
	}
	type panel struct {
		title  string
		series []*series
		byKey  map[string]*series
	}
	var panels []*panel
	byName := map[string]*panel{}
	for _, r := range results {
		if !measured(r) || r.Scenario == "ingest" && r.Variant == "huge" {
			continue
		}
		p := byName[r.Scenario]
		if p == nil {
			title := r.Scenario + ": requests/s"
			if r.Scenario == "ingest" {
				title = "ingest: attributes/s"
			}
			p = &panel{title: title, byKey: map[string]*series{}}
			byName[r.Scenario] = p
			panels = append(panels, p)
		}
		key := r.Variant + " @ " + formatScale(r.Scale)
		s := p.byKey[key]
		if s == nil {
			s = &series{label: key, points: map[int]float64{}}
			p.byKey[key] = s
			p.series = append(p.series, s)
		}
		v := r.Throughput
		if r.Scenario == "ingest" {
			v = r.Rates["attributes_per_second"]
		}
		s.points[r.Clients] = v
	}

	const panelW, panelH, cols = 460.0, 290.0, 2
	rows := max((len(panels)+cols-1)/cols, 1)
	width, height := int(panelW*cols), int(40+panelH*float64(rows))
	d := newSVG(width, height, "Throughput by concurrency")
	d.text(float64(width)/2, 24, "Throughput by concurrency",
		`text-anchor="middle" font-size="15" font-weight="bold"`)
	if len(panels) == 0 {
		d.text(float64(width)/2, float64(height)/2, "no successful requests to draw",
			`text-anchor="middle" fill="#666"`)
		return d.end()
	}
	for i, p := range panels {
		x0, y0 := float64(i%cols)*panelW, 40+float64(i/cols)*panelH
		drawPanel(d, x0, y0, panelW, panelH, p.title, func() ([]string, [][]int, [][]float64) {
			var labels []string
			var xs [][]int
			var ys [][]float64
			for _, s := range p.series {
				labels = append(labels, s.label)
				var sx []int
				for c := range s.points {
					sx = append(sx, c)
				}
				slices.Sort(sx)
				var sy []float64
				for _, c := range sx {
					sy = append(sy, s.points[c])
				}
				xs, ys = append(xs, sx), append(ys, sy)
			}
			return labels, xs, ys
		})
	}
	return d.end()
}

// drawPanel draws one line chart with a categorical x axis (client counts) and a linear
// y axis from zero.
func drawPanel(d *svgDoc, x0, y0, w, h float64, title string,
	data func() ([]string, [][]int, [][]float64)) {
	labels, xs, ys := data()
	var clients []int
	top := 0.0
	for i := range xs {
		for j, c := range xs[i] {
			if !slices.Contains(clients, c) {
				clients = append(clients, c)
			}
			top = max(top, ys[i][j])
		}
	}
	slices.Sort(clients)
	top = niceCeil(top)

	left, right, upper, lower := x0+70, x0+w-20, y0+30, y0+h-45
	d.text(x0+w/2, y0+16, title, `text-anchor="middle" font-weight="bold"`)
	for k := 0; k <= 4; k++ {
		v := top * float64(k) / 4
		yy := lower - (lower-upper)*float64(k)/4
		d.line(left, yy, right, yy, "#ddd", 1)
		d.text(left-6, yy+4, formatRate(v), `text-anchor="end" fill="#444"`)
	}
	d.line(left, upper, left, lower, "#444", 1)
	d.line(left, lower, right, lower, "#444", 1)
	xAt := func(c int) float64 {
		i := slices.Index(clients, c)
		if len(clients) == 1 {
			return (left + right) / 2
		}
		return left + 20 + (right-left-40)*float64(i)/float64(len(clients)-1)
	}
	for _, c := range clients {
		d.text(xAt(c), lower+15, strconv.Itoa(c), `text-anchor="middle" fill="#444"`)
	}
	d.text((left+right)/2, lower+32, "clients", `text-anchor="middle"`)
	yAt := func(v float64) float64 {
		if top == 0 {
			return lower
		}
		return lower - (lower-upper)*v/top
	}
	for i := range xs {
		color := palette[i%len(palette)]
		var pts [][2]float64
		for j, c := range xs[i] {
			pts = append(pts, [2]float64{xAt(c), yAt(ys[i][j])})
		}
		if len(pts) > 1 {
			d.polyline(pts, color)
		}
		for _, pt := range pts {
			d.circle(pt[0], pt[1], 3, color)
		}
		d.rect(right-150, upper+4+float64(i)*14, 10, 10, color)
		d.text(right-136, upper+13+float64(i)*14, labels[i], "")
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
