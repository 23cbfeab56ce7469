
BprobabilitiesJ(ž
~?®l;ˆ]2×0¦ùg2v‚´2æâ/0‘€.iZ2Ýª„;