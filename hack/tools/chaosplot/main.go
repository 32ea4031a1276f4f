// chaosplot draws the figures of `make chaos` from its CSV files with
// gonum.org/v1/plot: abnormal agents over time per arm (timeline.csv) and the
// MTTR of every fault per class and arm (faults.csv).
//
//	go run ./hack/tools/chaosplot --in chaos-out --out docs/chaos
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var palette = []color.Color{
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // plain: red
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // defaults: blue
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // fast: green
}

func main() {
	in := flag.String("in", "chaos-out", "folder with timeline.csv and faults.csv")
	out := flag.String("out", "", "folder for the PNGs (default: --in)")
	flag.Parse()
	if *out == "" {
		*out = *in
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "chaosplot:", err)
		os.Exit(1)
	}
}

func read(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// arms in the order they first appear, so colours match the table.
func arms(rows []map[string]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r["arm"]] {
			seen[r["arm"]] = true
			out = append(out, r["arm"])
		}
	}
	return out
}

func run(in, out string) error {
	timeline, err := read(filepath.Join(in, "timeline.csv"))
	if err != nil {
		return err
	}
	faults, err := read(filepath.Join(in, "faults.csv"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := overTime(timeline, filepath.Join(out, "abnormal-over-time.png")); err != nil {
		return err
	}
	return mttr(faults, filepath.Join(out, "mttr-by-class.png"))
}

func overTime(rows []map[string]string, path string) error {
	p := plot.New()
	p.Title.Text = "Abnormal agents over time (same fault schedule in every arm)"
	p.X.Label.Text = "seconds since the fleet was up"
	p.Y.Label.Text = "agents not fully available"
	p.Add(plotter.NewGrid())
	for i, arm := range arms(rows) {
		var xy plotter.XYs
		for _, r := range rows {
			if r["arm"] != arm {
				continue
			}
			t, _ := strconv.ParseFloat(r["t_s"], 64)
			n, _ := strconv.ParseFloat(r["abnormal"], 64)
			xy = append(xy, plotter.XY{X: t, Y: n})
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		line.Color = palette[i%len(palette)]
		line.Width = vg.Points(1.2)
		p.Add(line)
		p.Legend.Add(arm, line)
	}
	p.Legend.Top = true
	return p.Save(10*vg.Inch, 4.5*vg.Inch, path)
}

// mttr draws every fault's time to recovery as a point, one column group per
// class, one colour per arm; a fault never recovered is drawn at the top as a cross.
func mttr(rows []map[string]string, path string) error {
	classSet := map[string]bool{}
	for _, r := range rows {
		classSet[r["class"]] = true
	}
	var classes []string
	for c := range classSet {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	top := 0.0
	for _, r := range rows {
		if v, err := strconv.ParseFloat(r["mttr_s"], 64); err == nil && v > top {
			top = v
		}
	}
	never := top*1.1 + 10
	p := plot.New()
	p.Title.Text = "Time to recover per fault (x: never recovered)"
	p.Y.Label.Text = "seconds from fault onset to fully available"
	p.Add(plotter.NewGrid())
	as := arms(rows)
	for i, arm := range as {
		var ok, lost plotter.XYs
		for _, r := range rows {
			if r["arm"] != arm {
				continue
			}
			id, _ := strconv.ParseFloat(r["id"], 64)
			x := float64(index[r["class"]]) + 0.7*(float64(i)+0.5)/float64(len(as)) - 0.35 + 0.02*(float64(int(id)%5)-2)
			if v, err := strconv.ParseFloat(r["mttr_s"], 64); err == nil {
				ok = append(ok, plotter.XY{X: x, Y: v})
			} else {
				lost = append(lost, plotter.XY{X: x, Y: never})
			}
		}
		for _, set := range []struct {
			xy    plotter.XYs
			cross bool
		}{{ok, false}, {lost, true}} {
			if len(set.xy) == 0 {
				continue
			}
			s, err := plotter.NewScatter(set.xy)
			if err != nil {
				return err
			}
			s.Color = palette[i%len(palette)]
			s.Radius = vg.Points(2.5)
			if set.cross {
				s.Shape = draw.CrossGlyph{}
			} else {
				p.Legend.Add(arm, s)
			}
			p.Add(s)
		}
	}
	ticks := make([]plot.Tick, len(classes))
	for i, c := range classes {
		ticks[i] = plot.Tick{Value: float64(i), Label: c}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = -0.6, float64(len(classes))-0.4
	p.Y.Min = 0
	p.Legend.Top = true
	return p.Save(12*vg.Inch, 5*vg.Inch, path)
}
