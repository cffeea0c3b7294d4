import { startPage } from "../../lib/page";
import "../../lib/browse/browse.css";
import Browse from "./Browse.svelte";

startPage(Browse);
