console.log("native: skipped (not yet)")
