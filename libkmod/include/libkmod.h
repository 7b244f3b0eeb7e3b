/* placeholder: written by the header task */
