module github.com/dwsdk/distributed/bench

go 1.26.0

replace github.com/dwsdk/distributed => ../
