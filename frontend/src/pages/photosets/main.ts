import { startPage } from "../../lib/page";
import "../../lib/browse/browse.css";
import Photosets from "./Photosets.svelte";

startPage(Photosets);
