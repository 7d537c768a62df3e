package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dwsdk/distributed/runtime/autoscale/sim"
)

var palette = []color.Color{
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // red
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, // purple
}

// plotSVG writes (as SVG, or PNG/PDF by the file's extension) two stacked panels over [from, from+length): offered load
// and each policy's ready capacity (requests per second), and each policy's
// node count. Results must carry Series.
func plotSVG(path string, results []sim.Result, from, length time.Duration) error {
	lo, hi := int64(from/time.Second), int64((from+length)/time.Second)
	top := plot.New()
	top.Title.Text = "Load and ready capacity"
	top.Y.Label.Text = "requests per second"
	bottom := plot.New()
	bottom.Title.Text = "Nodes (ready and starting)"
	bottom.X.Label.Text = fmt.Sprintf("hours since simulated second %d", lo)
	bottom.Y.Label.Text = "nodes"

	var load plotter.XYs
	for _, s := range results[0].Series {
		if s.Second >= lo && s.Second < hi {
			load = append(load, plotter.XY{X: hours(s.Second - lo), Y: s.Load})
		}
	}
	if len(load) == 0 {
		return fmt.Errorf("plot: no samples between %v and %v", from, from+length)
	}
	l, err := plotter.NewLine(load)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	l.Color, l.Width = color.Gray{Y: 0x60}, vg.Points(1.2)
	top.Add(l)
	top.Legend.Add("offered load", l)

	for i, r := range results {
		var capXY, nodeXY plotter.XYs
		for _, s := range r.Series {
			if s.Second >= lo && s.Second < hi {
				capXY = append(capXY, plotter.XY{X: hours(s.Second - lo), Y: s.Capacity})
				nodeXY = append(nodeXY, plotter.XY{X: hours(s.Second - lo), Y: float64(s.Nodes)})
			}
		}
		c, err := plotter.NewLine(capXY)
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		n, err := plotter.NewLine(nodeXY)
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		c.Color, n.Color = palette[i%len(palette)], palette[i%len(palette)]
		c.Width, n.Width = vg.Points(0.8), vg.Points(0.8)
		top.Add(c)
		bottom.Add(n)
		top.Legend.Add(r.Policy+" capacity", c)
		bottom.Legend.Add(r.Policy, n)
	}
	top.Legend.Top, bottom.Legend.Top = true, true
	top.Legend.Left, bottom.Legend.Left = true, true

	w, h := 10*vg.Inch, 8*vg.Inch
	format := strings.TrimPrefix(filepath.Ext(path), ".")
	canvas, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	dc := draw.New(canvas)
	tiles := plot.Align([][]*plot.Plot{{top}, {bottom}}, draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(8)}, dc)
	top.Draw(tiles[0][0])
	bottom.Draw(tiles[1][0])

	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := canvas.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot: write %s: %w", path, err)
	}
	return f.Close()
}

func hours(s int64) float64 { return float64(s) / 3600 }
