import "../../lib/watch/watch.css";
import { startPage } from "../../lib/page";
import Watch from "./Watch.svelte";

startPage(Watch);
