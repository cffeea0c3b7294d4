import "../../lib/gallery/gallery.css";
import { startPage } from "../../lib/page";
import Gallery from "./Gallery.svelte";

startPage(Gallery);
