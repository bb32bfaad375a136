// Loaded in <head> before first paint: lets CSS tell apart pages with and without JavaScript.
document.documentElement.classList.add("js");
